-- Résumés / job postings, their tailored question sets, and background jobs (issue 12; docs/resumes.md).
CREATE TABLE resumes (
    resume_id   TEXT PRIMARY KEY,
    owner_id    TEXT NOT NULL,
    filename    TEXT NOT NULL,
    file_kind   TEXT NOT NULL CHECK (file_kind IN ('pdf', 'docx', 'text')),
    size_bytes  INTEGER NOT NULL,
    language    TEXT NOT NULL,
    doc_kind    TEXT NOT NULL CHECK (doc_kind IN ('resume', 'posting')),
    text        TEXT NOT NULL,
    profile     JSONB,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX resumes_owner_idx ON resumes (owner_id, created_at DESC);

CREATE TABLE resume_questions (
    resume_id   TEXT NOT NULL REFERENCES resumes(resume_id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    question_id TEXT NOT NULL,
    question    JSONB NOT NULL,
    PRIMARY KEY (resume_id, position)
);

CREATE TABLE jobs (
    job_id      TEXT PRIMARY KEY,
    owner_id    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    subject_id  TEXT,
    state       TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    progress    SMALLINT NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    error       TEXT,
    result      JSONB,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX jobs_owner_idx ON jobs (owner_id, created_at DESC);
-- The learning plan reads a user's answers.
CREATE INDEX IF NOT EXISTS answers_plan_participant_idx ON answers (participant_id);
