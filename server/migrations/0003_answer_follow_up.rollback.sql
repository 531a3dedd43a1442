ALTER TABLE answers DROP COLUMN follow_up_question;
ALTER TABLE answers DROP COLUMN follow_up_of;
