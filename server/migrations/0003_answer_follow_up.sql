-- Follow-up answers: which main answer they follow up, and the follow-up question asked.
ALTER TABLE answers ADD COLUMN follow_up_of TEXT;
ALTER TABLE answers ADD COLUMN follow_up_question TEXT;
