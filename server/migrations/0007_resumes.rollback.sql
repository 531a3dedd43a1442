DROP INDEX IF EXISTS answers_plan_participant_idx;
DROP TABLE IF EXISTS jobs;
DROP TABLE IF EXISTS resume_questions;
DROP TABLE IF EXISTS resumes;
