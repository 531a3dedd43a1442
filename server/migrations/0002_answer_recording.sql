-- depends: 0001_initial
-- Spoken answers: the media sidecar's WAV of the whole turn (a path on the sidecar host); NULL when typed.
ALTER TABLE answers ADD COLUMN recording TEXT;
