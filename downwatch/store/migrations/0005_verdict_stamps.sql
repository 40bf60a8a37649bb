-- A quiet verdict (its content unchanged since the last bucket) is not rewritten each tick: the detector
-- that owns it moves one stamp per scope (a partition, or the whole catalog) instead, and a verdict reads
-- as its body with the stamp's bucket and updated_at where the stamp is newer (detector_output.READ_VERDICTS).
ALTER TABLE verdicts ADD COLUMN stamp_scope text;

CREATE TABLE verdict_stamps (
    scope      text PRIMARY KEY,
    bucket     text NOT NULL,
    stamp      jsonb NOT NULL,
    updated_at timestamptz NOT NULL
);
