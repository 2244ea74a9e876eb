-- Enrollment's own tables. Read models of what registry and catalogue announce first (written
-- only by consumers), then applications, offers, contracts and enrollments (the truth the Redis
-- queue index is rebuilt from).

CREATE TABLE municipalities (
  id         uuid PRIMARY KEY,
  time_zone  text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The yearly rules: ordered categories (the queue's first key), the cap on open applications,
-- and the deadlines (offer acceptance in calendar days, provider review in working days).
CREATE TABLE municipality_years (
  municipality_id              uuid NOT NULL REFERENCES municipalities (id),
  year                         integer NOT NULL,
  categories                   text[] NOT NULL,
  max_open_applications        integer NOT NULL,
  offer_acceptance_days        integer NOT NULL,
  provider_review_working_days integer NOT NULL,
  PRIMARY KEY (municipality_id, year)
);

CREATE TABLE certificates (
  id              uuid PRIMARY KEY,
  municipality_id uuid NOT NULL,
  child_id        uuid NOT NULL,
  number          text NOT NULL,
  birth_year      integer NOT NULL,
  status          text NOT NULL CHECK (status IN ('active', 'suspended', 'closed')),
  funding         text NOT NULL CHECK (funding IN ('accounting', 'financed')),
  financed_year   integer,
  updated_at      timestamptz NOT NULL
);
CREATE UNIQUE INDEX certificates_child ON certificates (child_id);

-- One row per child the registry told us of: the lock every application of the child takes
-- first, so that its per-child rules (cap, same program, schedule) hold under concurrency.
CREATE TABLE children (
  id         uuid PRIMARY KEY,
  updated_at timestamptz NOT NULL
);

CREATE TABLE child_guardians (
  child_id    uuid NOT NULL,
  guardian_id uuid NOT NULL,
  PRIMARY KEY (child_id, guardian_id)
);

-- Social categories with their validity (null bounds: open-ended, as CertificateIssued gives them).
CREATE TABLE child_categories (
  child_id    uuid NOT NULL,
  code        text NOT NULL,
  valid_from  date,
  valid_until date,
  PRIMARY KEY (child_id, code)
);

CREATE TABLE groups (
  id               uuid PRIMARY KEY,
  municipality_id  uuid NOT NULL,
  program_id       uuid NOT NULL,
  provider_id      uuid NOT NULL,
  capacity         integer NOT NULL,
  time_zone        text NOT NULL,
  slots            jsonb NOT NULL,
  starts_on        date NOT NULL,
  ends_on          date NOT NULL,
  age_min          integer NOT NULL,
  age_max          integer NOT NULL,
  funding_kind     text NOT NULL,
  accepting        boolean NOT NULL,
  status           text NOT NULL CHECK (status IN ('open', 'closed')),
  updated_at       timestamptz NOT NULL
);

CREATE TABLE applications (
  id                    uuid PRIMARY KEY,
  municipality_id       uuid NOT NULL,
  group_id              uuid NOT NULL REFERENCES groups (id),
  program_id            uuid NOT NULL,
  provider_id           uuid NOT NULL,
  child_id              uuid NOT NULL,
  certificate_id        uuid NOT NULL,
  guardian_id           uuid,
  submitted_by          text NOT NULL,
  submitted_role        text NOT NULL CHECK (submitted_role IN ('guardian', 'operator')),
  status                text NOT NULL CHECK (status IN (
                          'awaiting_financing', 'queued', 'offered', 'enrolled',
                          'refused', 'rejected', 'withdrawn', 'declined', 'expired')),
  review                text NOT NULL CHECK (review IN ('pending', 'confirmed', 'rejected', 'auto_confirmed')),
  review_due_at         timestamptz NOT NULL,
  category_code         text,
  category_rank         integer NOT NULL,
  -- Set by the database as the last statement before COMMIT, under the group's lock, so that
  -- the order of accepted_at is the order in which applications became visible.
  accepted_at           timestamptz NOT NULL,
  conversion_request_id text UNIQUE,
  refusal_code          text,
  refusal_detail        text,
  created_at            timestamptz NOT NULL,
  updated_at            timestamptz NOT NULL
);
-- The queue as Postgres keeps it: the order the Redis index must equal.
CREATE INDEX applications_queue ON applications (group_id, category_rank, accepted_at, id)
  WHERE status IN ('awaiting_financing', 'queued');
CREATE INDEX applications_child ON applications (child_id, status);
CREATE INDEX applications_review_due ON applications (review_due_at) WHERE review = 'pending' AND status IN ('awaiting_financing', 'queued');
-- One open application of a child per program (the rule "already applying to the same program").
CREATE UNIQUE INDEX applications_open_per_program ON applications (child_id, program_id)
  WHERE status IN ('awaiting_financing', 'queued', 'offered');

CREATE TABLE offers (
  id             uuid PRIMARY KEY,
  application_id uuid NOT NULL REFERENCES applications (id),
  group_id       uuid NOT NULL,
  municipality_id uuid NOT NULL,
  status         text NOT NULL CHECK (status IN ('open', 'accepted', 'declined', 'expired')),
  made_at        timestamptz NOT NULL,
  deadline_at    timestamptz NOT NULL,
  decided_at     timestamptz,
  decided_by     text
);
CREATE UNIQUE INDEX offers_open_per_application ON offers (application_id) WHERE status = 'open';
CREATE INDEX offers_open_by_group ON offers (group_id) WHERE status = 'open';
CREATE INDEX offers_deadline ON offers (deadline_at) WHERE status = 'open';

CREATE TABLE enrollments (
  id              uuid PRIMARY KEY,
  application_id  uuid NOT NULL UNIQUE REFERENCES applications (id),
  municipality_id uuid NOT NULL,
  group_id        uuid NOT NULL,
  program_id      uuid NOT NULL,
  provider_id     uuid NOT NULL,
  child_id        uuid NOT NULL,
  status          text NOT NULL CHECK (status IN ('active', 'ended')),
  started_at      timestamptz NOT NULL,
  ended_at        timestamptz,
  end_reason      text CHECK (end_reason IN ('completed', 'withdrawn', 'expelled')),
  ended_by        text
);
CREATE INDEX enrollments_active_by_group ON enrollments (group_id) WHERE status = 'active';
CREATE INDEX enrollments_active_by_child ON enrollments (child_id) WHERE status = 'active';

CREATE TABLE contracts (
  id             uuid PRIMARY KEY,
  application_id uuid NOT NULL UNIQUE REFERENCES applications (id),
  offer_id       uuid NOT NULL REFERENCES offers (id),
  enrollment_id  uuid NOT NULL REFERENCES enrollments (id),
  method         text NOT NULL CHECK (method IN ('electronic', 'in_person')),
  signed_by      text NOT NULL,
  signed_role    text NOT NULL,
  signed_at      timestamptz NOT NULL,
  terminated_at  timestamptz
);

-- Groups whose Redis index is behind Postgres. Every change to a queue bumps its group's
-- version in the same transaction; the syncer copies the queue to Redis and deletes the row
-- only if the version is still the one it read, so no change is ever forgotten.
CREATE TABLE queue_dirty (
  group_id uuid PRIMARY KEY,
  version  bigint NOT NULL
);
