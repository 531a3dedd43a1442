ALTER TABLE answers DROP COLUMN recording;
