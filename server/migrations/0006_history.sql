-- depends: 0004_answer_expression
-- History, private reports and boards (issue 12).
-- A spoken answer's word timings, s from the start of its turn recording: [{word, start, end}].
ALTER TABLE answers ADD COLUMN words JSONB;
-- A user's matches (GET /api/v1/me/matches) and the boards (by kind and finish time).
CREATE INDEX match_participants_by_participant ON match_participants (participant_id, match_id);
CREATE INDEX matches_by_finished_at ON matches (finished_at);
-- Share links a participant made for a report: the token itself is never stored, only its SHA-256.
CREATE TABLE share_links (
    link_id     TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    match_id    BIGINT NOT NULL REFERENCES matches(match_id) ON DELETE CASCADE,
    owner_id    TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX share_links_by_match ON share_links (match_id, owner_id);
