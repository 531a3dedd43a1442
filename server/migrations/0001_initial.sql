-- Finished matches: room, participants, questions, answers with scores, and the final ranking.
CREATE TABLE matches (
    match_id     BIGSERIAL PRIMARY KEY,
    room_id      TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    language     TEXT NOT NULL,
    settings     JSONB NOT NULL,
    end_reason   TEXT NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE match_participants (
    match_id        BIGINT NOT NULL REFERENCES matches(match_id) ON DELETE CASCADE,
    participant_id  TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('human', 'ai')),
    display_name    TEXT NOT NULL,
    persona_id      TEXT,
    skill           SMALLINT,
    final_score     DOUBLE PRECISION NOT NULL DEFAULT 0,
    final_rank      INTEGER,
    notes           JSONB NOT NULL DEFAULT '[]',
    PRIMARY KEY (match_id, participant_id)
);

CREATE TABLE match_questions (
    match_id     BIGINT NOT NULL REFERENCES matches(match_id) ON DELETE CASCADE,
    idx          INTEGER NOT NULL,
    question_id  TEXT NOT NULL,
    text         TEXT NOT NULL,
    category     TEXT NOT NULL,
    difficulty   SMALLINT NOT NULL,
    PRIMARY KEY (match_id, idx)
);

CREATE TABLE answers (
    answer_id       TEXT PRIMARY KEY,
    match_id        BIGINT NOT NULL REFERENCES matches(match_id) ON DELETE CASCADE,
    question_idx    INTEGER NOT NULL,
    question_id     TEXT NOT NULL,
    participant_id  TEXT NOT NULL,
    text            TEXT NOT NULL,
    auto_submitted  BOOLEAN NOT NULL,
    skipped         BOOLEAN NOT NULL,
    story_id        TEXT,
    score           SMALLINT NOT NULL CHECK (score BETWEEN 0 AND 100),
    dimensions      JSONB NOT NULL,
    feedback        TEXT NOT NULL,
    submitted_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX answers_match_idx ON answers (match_id, question_idx);
