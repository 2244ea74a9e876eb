-- Statistics keeps facts, not people: municipalities, their populations and groups (public
-- data), the events of each counted subject under a pseudonymous key (HMAC of its id with the
-- service's key), the contributions derived from them, the published cells, and the service's
-- position in each topic. No child, guardian, certificate, application or document id is stored.

CREATE TABLE municipalities (
  municipality_id uuid PRIMARY KEY,
  region_code text NOT NULL,
  time_zone text NOT NULL,
  event_at timestamptz NOT NULL,
  event_id uuid NOT NULL
);
CREATE INDEX municipalities_by_region ON municipalities (region_code);

-- Children aged 5-18 of a municipality's year (registry.municipality.year-set).
CREATE TABLE populations (
  municipality_id uuid NOT NULL,
  year int NOT NULL,
  children int NOT NULL,
  event_at timestamptz NOT NULL,
  event_id uuid NOT NULL,
  PRIMARY KEY (municipality_id, year)
);

-- A group's direction and funding kind, the latest snapshot by event time.
CREATE TABLE groups (
  group_id uuid PRIMARY KEY,
  municipality_id uuid NOT NULL,
  direction text NOT NULL,
  funding_kind text NOT NULL,
  event_at timestamptz NOT NULL,
  event_id uuid NOT NULL
);

-- Every event about a subject; subject_key is `<type>:<hmac>`, attrs hold codes, years,
-- instants and other pseudonymous keys only.
CREATE TABLE subject_events (
  subject_key text NOT NULL,
  event_id uuid NOT NULL,
  kind text NOT NULL,
  municipality_id uuid NOT NULL,
  at timestamptz NOT NULL,
  attrs jsonb NOT NULL,
  PRIMARY KEY (subject_key, event_id)
);

-- What each subject adds to each measure, replaced whole when one of its events arrives.
CREATE TABLE contributions (
  subject_key text NOT NULL,
  seq int NOT NULL,
  municipality_id uuid NOT NULL,
  measure text NOT NULL,
  dims jsonb NOT NULL,
  group_id uuid,
  birth_year int,
  at timestamptz NOT NULL,
  delta int NOT NULL,
  sample double precision,
  PRIMARY KEY (subject_key, seq)
);
CREATE INDEX contributions_by_municipality ON contributions (municipality_id, at);
CREATE INDEX contributions_by_group ON contributions (group_id) WHERE group_id IS NOT NULL;

-- The cells as published (suppressed ones with a null value); version orders the changes for
-- the live stream.
CREATE SEQUENCE published_version;
CREATE TABLE published_cells (
  cell_key text PRIMARY KEY,
  scope text NOT NULL,
  municipality_id uuid,
  region_code text NOT NULL,
  period text NOT NULL,
  start date NOT NULL,
  measure text NOT NULL,
  dims jsonb NOT NULL,
  value double precision,
  suppressed boolean NOT NULL,
  version bigint NOT NULL
);
CREATE INDEX published_by_block ON published_cells (region_code, start);
CREATE INDEX published_by_version ON published_cells (version);

-- The service's position in each topic, written in the transaction of every event it applies,
-- together with that event's effect on the aggregates.
CREATE TABLE positions (
  topic text NOT NULL,
  kafka_partition int NOT NULL,
  next_offset bigint NOT NULL,
  PRIMARY KEY (topic, kafka_partition)
);

-- Where the aggregates changed since the cells were last published: written in the consumer's
-- transaction with the facts and the position, taken by the publisher (usecases/publish.ts),
-- which recomputes those blocks once for every event that reached them.
CREATE TABLE pending_changes (
  id bigserial PRIMARY KEY,
  municipality_id uuid,
  region_code text,
  since timestamptz NOT NULL,
  -- When the source event was committed (its occurredAt): how fresh a published change is.
  source_at timestamptz NOT NULL,
  CHECK ((municipality_id IS NULL) <> (region_code IS NULL))
);
