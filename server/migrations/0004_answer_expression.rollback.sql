ALTER TABLE answers DROP COLUMN expression;
