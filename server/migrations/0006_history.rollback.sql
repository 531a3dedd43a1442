DROP TABLE share_links;
DROP INDEX matches_by_finished_at;
DROP INDEX match_participants_by_participant;
ALTER TABLE answers DROP COLUMN words;
