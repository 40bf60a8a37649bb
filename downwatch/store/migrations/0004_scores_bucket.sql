-- The front page ranks every service by its reports over the latest window, read by bucket.
CREATE INDEX scores_bucket ON scores (bucket);
