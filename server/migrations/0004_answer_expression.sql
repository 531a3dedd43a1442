-- Advisory facial-expression summary of a spoken answer (camera on): {dominant, emotions, samples}.
ALTER TABLE answers ADD COLUMN expression JSONB;
