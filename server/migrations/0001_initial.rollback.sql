DROP TABLE answers;
DROP TABLE match_questions;
DROP TABLE match_participants;
DROP TABLE matches;
