-- The map of where reports come from reads every service's places over the last hours by bucket.
CREATE INDEX location_counts_bucket ON location_counts (bucket);
