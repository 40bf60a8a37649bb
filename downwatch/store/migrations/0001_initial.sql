-- The first schema of downwatch: catalog, signals (partitioned by day), per-bucket counts,
-- detector output (scores, verdicts, incidents), source health and ingest cursors.

CREATE TABLE services (
    slug        text PRIMARY KEY,
    name        text NOT NULL,
    country     text NOT NULL,
    category    text NOT NULL,
    aliases     text[] NOT NULL DEFAULT '{}',
    domains     text[] NOT NULL DEFAULT '{}',
    handles     text[] NOT NULL DEFAULT '{}',
    status_page text,
    origin      text NOT NULL DEFAULT 'catalog' CHECK (origin IN ('catalog', 'admin')),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per accepted (source, external_id): the guard that makes a replay or a restart count once.
-- Kept apart from the partitioned signals table because a unique key there would have to include
-- the partition column.
CREATE TABLE signal_keys (
    source      text NOT NULL,
    external_id text NOT NULL,
    observed_at timestamptz NOT NULL,
    PRIMARY KEY (source, external_id)
);
CREATE INDEX signal_keys_observed_at ON signal_keys (observed_at);

CREATE TABLE signals (
    source      text NOT NULL,
    external_id text NOT NULL,
    service     text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('report', 'post', 'probe', 'status')),
    problem     text NOT NULL CHECK (problem IN ('login', 'website', 'app', 'email', 'billing',
                                                  'payments', 'connection', 'streaming', 'messaging',
                                                  'other')),
    location    text,
    weight      real NOT NULL CHECK (weight >= 0 AND weight <= 1),
    observed_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    author_hash text,
    evidence    jsonb NOT NULL DEFAULT '{}'
) PARTITION BY RANGE (observed_at);
CREATE INDEX signals_service_time ON signals (service, observed_at);
CREATE INDEX signals_kind_time ON signals (kind, observed_at);

-- Daily partitions are created on demand by this function (the only place with dynamic DDL; the
-- table name is derived from a date, never from user text).
CREATE FUNCTION downwatch_ensure_signal_partition(day date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    part text := 'signals_' || to_char(day, 'YYYYMMDD');
BEGIN
    IF to_regclass(part) IS NOT NULL THEN
        RETURN false;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('downwatch_signal_partitions'));
    IF to_regclass(part) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE format('CREATE TABLE %I PARTITION OF signals FOR VALUES FROM (%L) TO (%L)',
                   part, day::timestamp AT TIME ZONE 'UTC', (day + 1)::timestamp AT TIME ZONE 'UTC');
    RETURN true;
EXCEPTION WHEN duplicate_table THEN
    -- another transaction created it between our look and our CREATE
    RETURN false;
END;
$$;

CREATE FUNCTION downwatch_drop_signal_partition(day date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    part text := 'signals_' || to_char(day, 'YYYYMMDD');
BEGIN
    IF to_regclass(part) IS NULL THEN
        RETURN false;
    END IF;
    EXECUTE format('DROP TABLE %I', part);
    RETURN true;
END;
$$;

-- Per-bucket aggregates, maintained in the same transaction as the signals they count.
-- `n` counts signals, `weight` sums their weights, `reporters` counts signals that carry an author
-- (ingest keeps one signal per author per service per window, so this is distinct reporters).
CREATE TABLE counts (
    service   text NOT NULL,
    bucket    timestamptz NOT NULL,
    kind      text NOT NULL,
    problem   text NOT NULL,
    n         integer NOT NULL,
    weight    double precision NOT NULL,
    reporters integer NOT NULL,
    PRIMARY KEY (service, bucket, kind, problem)
);
CREATE INDEX counts_bucket ON counts (bucket);

CREATE TABLE location_counts (
    service  text NOT NULL,
    bucket   timestamptz NOT NULL,
    location text NOT NULL,
    n        integer NOT NULL,
    PRIMARY KEY (service, bucket, location)
);

-- What the detector said about each bucket (the timeline route reads this).
CREATE TABLE scores (
    service  text NOT NULL,
    bucket   timestamptz NOT NULL,
    observed double precision NOT NULL,
    expected double precision NOT NULL,
    score    double precision NOT NULL,
    status   text NOT NULL,
    PRIMARY KEY (service, bucket)
);

CREATE TABLE verdicts (
    service    text PRIMARY KEY,
    status     text NOT NULL CHECK (status IN ('up', 'degraded', 'down', 'unknown')),
    since      timestamptz,
    body       jsonb NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE verdict_changes (
    id          bigserial PRIMARY KEY,
    service     text NOT NULL,
    at          timestamptz NOT NULL,
    from_status text NOT NULL,
    to_status   text NOT NULL,
    body        jsonb NOT NULL
);
CREATE INDEX verdict_changes_service_at ON verdict_changes (service, at);

-- Incident ids are the detector's own (its incident book numbers them), so a verdict's
-- incident_id and this table agree.
CREATE TABLE incidents (
    id          bigint PRIMARY KEY,
    service     text NOT NULL,
    status      text NOT NULL CHECK (status IN ('active', 'resolved')),
    severity    text NOT NULL CHECK (severity IN ('degraded', 'down')),
    started_at  timestamptz NOT NULL,
    detected_at timestamptz NOT NULL,
    peak_at     timestamptz,
    peak_count  double precision,
    ended_at    timestamptz,
    body        jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX incidents_service_detected ON incidents (service, detected_at);
CREATE INDEX incidents_service_started ON incidents (service, started_at DESC);
CREATE INDEX incidents_started ON incidents (started_at DESC);

CREATE TABLE source_health (
    source          text PRIMARY KEY,
    last_success_at timestamptz,
    last_error_at   timestamptz,
    last_error      text,
    errors_total    bigint NOT NULL DEFAULT 0,
    items_total     bigint NOT NULL DEFAULT 0,
    lag_seconds     double precision,
    paused          boolean NOT NULL DEFAULT false,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ingest_cursors (
    source     text PRIMARY KEY,
    cursor     jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE detector_state (
    service    text PRIMARY KEY,
    bucket     timestamptz NOT NULL,
    state      bytea NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
