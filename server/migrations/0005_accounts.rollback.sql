DROP TABLE cohort_members;
DROP TABLE cohorts;
DROP TABLE refresh_tokens;
DROP TABLE users;
