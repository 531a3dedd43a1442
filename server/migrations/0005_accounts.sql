-- depends: 0004_answer_expression
-- Accounts (email + Argon2 password), refresh-token sessions, coach cohorts and their members.
-- user_id is the same opaque id a guest token carries (u_…): matches stay keyed on it.
CREATE TABLE users (
    user_id        TEXT PRIMARY KEY,
    email          TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL DEFAULT 'candidate' CHECK (role IN ('candidate', 'coach')),
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- One row per refresh token, stored as SHA-256 of the token; a login starts a family (session),
-- each refresh revokes its token and adds the next one to the family; logout revokes the family.
CREATE TABLE refresh_tokens (
    token_hash   BYTEA PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    family       TEXT NOT NULL,
    issued_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ NOT NULL,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE cohorts (
    cohort_id    TEXT PRIMARY KEY,
    coach_id     TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    invite_code  TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX cohorts_coach ON cohorts (coach_id);

-- Joining a cohort is the candidate's consent to share their matches with its coach; leaving withdraws it.
CREATE TABLE cohort_members (
    cohort_id  TEXT NOT NULL REFERENCES cohorts(cohort_id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    joined_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (cohort_id, user_id)
);
CREATE INDEX cohort_members_user ON cohort_members (user_id);
