-- Catalogue: programs, groups, schedules, reviews, the navigator's indexes, and local copies of
-- what it consumes (municipalities, providers, enrollments, child-guardian links). Money is
-- bigint minor units; dates are local calendar dates of the municipality.

-- earthdistance (Debian's postgresql-15 contrib; both are trusted extensions since PG 13, so a
-- database owner may create them on managed Postgres too) gives great-circle distance and a
-- GiST-indexable bounding box for "near a point".
CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS earthdistance;

CREATE TABLE municipalities (
  id        uuid PRIMARY KEY,
  code      text NOT NULL,
  name      text NOT NULL,
  time_zone text NOT NULL,
  currency  text NOT NULL CHECK (currency IN ('RUB', 'KZT'))
);

-- The certificate nominal per year: what a financed certificate can pay (coverage in search).
CREATE TABLE municipality_years (
  municipality_id uuid NOT NULL,
  year            int NOT NULL,
  nominal         bigint NOT NULL CHECK (nominal >= 0),
  PRIMARY KEY (municipality_id, year)
);

-- Providers as the registry announced them; only `approved` ones publish and are listed.
CREATE TABLE providers (
  id              uuid PRIMARY KEY,
  municipality_id uuid NOT NULL,
  name            text NOT NULL,
  kind            text NOT NULL,
  status          text NOT NULL CHECK (status IN ('approved', 'suspended', 'rejected')),
  updated_at      timestamptz NOT NULL
);

CREATE TABLE programs (
  id                   uuid PRIMARY KEY,
  provider_id          uuid NOT NULL REFERENCES providers (id),
  municipality_id      uuid NOT NULL,
  status               text NOT NULL CHECK (status IN ('draft', 'published', 'withdrawn')),
  -- Copied from providers so that search filters one table; provider events keep it in step.
  provider_approved    boolean NOT NULL,
  title                text NOT NULL,
  description          text NOT NULL,
  direction            text NOT NULL CHECK (direction IN ('technical', 'natural_science', 'physical_culture_and_sports', 'arts',
                                                          'tourism_and_local_history', 'social_and_humanitarian')),
  age_min              smallint NOT NULL,
  age_max              smallint NOT NULL,
  total_hours          int NOT NULL CHECK (total_hours > 0),
  weekly_hours         int NOT NULL CHECK (weekly_hours > 0 AND weekly_hours <= total_hours),
  price_per_hour       bigint NOT NULL CHECK (price_per_hour >= 0),
  currency             text NOT NULL CHECK (currency IN ('RUB', 'KZT')),
  funding_kind         text NOT NULL CHECK (funding_kind IN ('financed', 'free', 'paid')),
  certification_number text,
  certification_date   date,
  certification_expiry date,
  address              text NOT NULL,
  latitude             float8 NOT NULL CHECK (latitude BETWEEN -90 AND 90),
  longitude            float8 NOT NULL CHECK (longitude BETWEEN -180 AND 180),
  -- ll_to_earth(latitude, longitude), written with them, moved north by under 0.2 mm derived
  -- from the id so that two programs at one address never tie on distance: the navigator then
  -- orders by distance alone, which a GiST index serves nearest first (a second sort key would
  -- defeat it). A stored column rather than an expression index: earthdistance's functions
  -- resolve cube() through search_path, which breaks expression indexes on dump and restore.
  geo                  earth NOT NULL,
  teachers             jsonb NOT NULL,
  -- Free seats over the program's open groups, kept with every group and enrollment change so
  -- that "only with free seats" is a column test, not a join.
  free_seats           int NOT NULL DEFAULT 0,
  rating_sum           int NOT NULL DEFAULT 0,
  rating_count         int NOT NULL DEFAULT 0,
  -- Russian with stemming, plus 'simple' (lower-cased words, no stemming): Postgres has no
  -- Kazakh snowball configuration, so Kazakh text is matched word by word and by prefix.
  search_tsv           tsvector GENERATED ALWAYS AS (
                         setweight(to_tsvector('russian', title), 'A') || setweight(to_tsvector('simple', title), 'A') ||
                         setweight(to_tsvector('russian', description), 'B') || setweight(to_tsvector('simple', description), 'B')
                       ) STORED,
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL,
  published_at         timestamptz,
  CHECK (age_min BETWEEN 5 AND 18 AND age_max BETWEEN 5 AND 18 AND age_min <= age_max),
  CHECK (funding_kind <> 'financed' OR certification_expiry IS NOT NULL)
);
CREATE INDEX programs_provider ON programs (provider_id);
-- The navigator only ever reads listed programs: partial indexes keep them small.
CREATE INDEX programs_listed_filters ON programs (municipality_id, direction, funding_kind, age_min, age_max)
  WHERE status = 'published' AND provider_approved;
CREATE INDEX programs_listed_text ON programs USING gin (search_tsv) WHERE status = 'published' AND provider_approved;
CREATE INDEX programs_listed_geo ON programs USING gist (geo) WHERE status = 'published' AND provider_approved;
-- Facets count programs found through group_slots: this lets that join read the index alone,
-- not the wide rows (description, tsvector, teachers).
CREATE INDEX programs_listed_facets ON programs (id) INCLUDE (municipality_id, direction, funding_kind, age_min, age_max)
  WHERE status = 'published' AND provider_approved;

CREATE TABLE groups (
  id                 uuid PRIMARY KEY,
  program_id         uuid NOT NULL REFERENCES programs (id),
  capacity           int NOT NULL CHECK (capacity > 0),
  -- Kept from enrollment events; may exceed capacity for a moment if capacity was lowered
  -- while enrollment had already granted a seat, so free seats are clamped at zero.
  active_enrollments int NOT NULL DEFAULT 0 CHECK (active_enrollments >= 0),
  time_zone          text NOT NULL,
  slots              jsonb NOT NULL,
  starts_on          date NOT NULL,
  ends_on            date NOT NULL CHECK (ends_on >= starts_on),
  exceptions         jsonb NOT NULL,
  status             text NOT NULL CHECK (status IN ('open', 'closed')),
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL
);
CREATE INDEX groups_program ON groups (program_id) WHERE status = 'open';

-- One row per weekly slot, so that "Tuesday between 15:00 and 18:00" is an index lookup within
-- the municipality.
CREATE TABLE group_slots (
  group_id        uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  program_id      uuid NOT NULL,
  municipality_id uuid NOT NULL,
  weekday      smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
  start_minute smallint NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
  end_minute      smallint NOT NULL CHECK (end_minute BETWEEN 1 AND 1440 AND end_minute > start_minute),
  -- Copied from the group (capacity > active enrollments); a closed group's slots are deleted,
  -- so the navigator's time filter reads this table's index alone.
  has_free_seat boolean NOT NULL
);
CREATE INDEX group_slots_group ON group_slots (group_id);
CREATE INDEX group_slots_time ON group_slots (municipality_id, weekday, start_minute, end_minute) INCLUDE (program_id, has_free_seat);

-- Seats and review rights, kept from enrollment.enrollment.started/ended.
CREATE TABLE enrollments (
  id         uuid PRIMARY KEY,
  group_id   uuid NOT NULL,
  program_id uuid NOT NULL,
  child_id   uuid NOT NULL,
  status     text NOT NULL CHECK (status IN ('active', 'ended')),
  end_reason text CHECK (end_reason IN ('completed', 'withdrawn', 'expelled')),
  updated_at timestamptz NOT NULL
);
CREATE INDEX enrollments_group ON enrollments (group_id) WHERE status = 'active';

-- Who may review for a child, from registry.certificate.issued (ids only).
CREATE TABLE child_guardians (
  child_id    uuid NOT NULL,
  guardian_id uuid NOT NULL,
  PRIMARY KEY (child_id, guardian_id)
);

CREATE TABLE reviews (
  id            uuid PRIMARY KEY,
  program_id    uuid NOT NULL REFERENCES programs (id),
  -- Once per enrollment.
  enrollment_id uuid NOT NULL UNIQUE,
  guardian_id   uuid NOT NULL,
  rating        smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
  text          text NOT NULL,
  created_at    timestamptz NOT NULL
);
CREATE INDEX reviews_program ON reviews (program_id, created_at DESC, id);
