-- Attendance: lessons that were marked, marks and every change of them, absence notices,
-- confirmations, fraud signals, closed months and their summaries; and local copies of what it
-- consumes (municipalities, groups, enrollments, child-guardian links). Dates are local calendar
-- dates of the municipality; instants are UTC.

-- --- projections -------------------------------------------------------------------------------

CREATE TABLE municipalities (
  id          uuid PRIMARY KEY,
  region_code text NOT NULL,
  time_zone   text NOT NULL,
  currency    text NOT NULL CHECK (currency IN ('RUB', 'KZT'))
);

-- The municipality's attendance rules for a year; a year without a row uses the seed defaults
-- (domain/rules.ts).
CREATE TABLE attendance_rules (
  municipality_id uuid NOT NULL,
  year            int NOT NULL,
  rules           jsonb NOT NULL,
  updated_at      timestamptz NOT NULL,
  PRIMARY KEY (municipality_id, year)
);

-- Groups as the catalogue announced them (full snapshots; an older snapshot never overwrites a
-- newer one: `as_of` is the event's instant).
CREATE TABLE groups (
  id              uuid PRIMARY KEY,
  municipality_id uuid NOT NULL,
  provider_id     uuid NOT NULL,
  program_id      uuid,
  time_zone       text NOT NULL,
  slots           jsonb NOT NULL,
  starts_on       date NOT NULL,
  ends_on         date NOT NULL,
  exceptions      jsonb NOT NULL,
  kind            text NOT NULL DEFAULT 'class' CHECK (kind IN ('class', 'day_of_care')),
  closed_at       timestamptz,
  as_of           timestamptz NOT NULL
);
CREATE INDEX groups_municipality ON groups (municipality_id);

-- Days a provider cancelled or the organisation closed: no lessons on them.
CREATE TABLE group_days_off (
  group_id uuid NOT NULL,
  date     date NOT NULL,
  kind     text NOT NULL CHECK (kind IN ('cancelled', 'closure')),
  set_by   text NOT NULL,
  set_at   timestamptz NOT NULL,
  PRIMARY KEY (group_id, date)
);

-- Enrollments from enrollment's events: on the roster from the local day of `started_at` to the
-- day before that of `ended_at`. Either event may come first (different partitions, replays).
CREATE TABLE enrollments (
  id              uuid PRIMARY KEY,
  municipality_id uuid NOT NULL,
  group_id        uuid NOT NULL,
  program_id      uuid,
  child_id        uuid NOT NULL,
  started_at      timestamptz,
  ended_at        timestamptz,
  end_reason      text
);
CREATE INDEX enrollments_group ON enrollments (group_id);
CREATE INDEX enrollments_child ON enrollments (child_id);
CREATE INDEX enrollments_municipality ON enrollments (municipality_id);

CREATE TABLE child_guardians (
  child_id    uuid NOT NULL,
  guardian_id uuid NOT NULL,
  PRIMARY KEY (child_id, guardian_id)
);

-- --- lessons and marks -------------------------------------------------------------------------

-- A lesson exists here once it is marked; the schedule says which lessons there should be.
CREATE TABLE lessons (
  id              uuid PRIMARY KEY,
  group_id        uuid NOT NULL,
  municipality_id uuid NOT NULL,
  provider_id     uuid NOT NULL,
  date            date NOT NULL,
  start_time      text NOT NULL,
  starts_at       timestamptz NOT NULL,
  ends_at         timestamptz NOT NULL,
  kind            text NOT NULL,
  on_schedule     boolean NOT NULL,
  UNIQUE (group_id, date, start_time)
);

CREATE TABLE marks (
  lesson_id       uuid NOT NULL REFERENCES lessons (id),
  child_id        uuid NOT NULL,
  enrollment_id   uuid NOT NULL,
  group_id        uuid NOT NULL,
  municipality_id uuid NOT NULL,
  date            date NOT NULL,
  starts_at       timestamptz NOT NULL,
  ends_at         timestamptz NOT NULL,
  status          text NOT NULL CHECK (status IN ('present', 'absent')),
  -- The guardian's review: none yet, confirmed, disputed (until an operator resolves it), resolved.
  review          text NOT NULL DEFAULT 'none' CHECK (review IN ('none', 'confirmed', 'disputed', 'resolved')),
  marked_by       text NOT NULL,
  marked_at       timestamptz NOT NULL,
  PRIMARY KEY (lesson_id, child_id)
);
-- Each index is paid for on every mark (15 a lesson): only those a query needs.
CREATE INDEX marks_child_time ON marks (child_id, starts_at);

-- Every change of marks: who, when, and for each child the old value and the new (a first mark's
-- old is null). One row per write, whose `changes` hold the children it changed: a lesson of 15
-- is one row, not 15 (each row and index entry is paid for on every lesson marked).
CREATE TABLE mark_changes (
  seq        bigserial PRIMARY KEY,
  lesson_id  uuid NOT NULL,
  -- [{ "childId", "oldStatus", "newStatus", "oldReview", "newReview" }]
  changes    jsonb NOT NULL,
  changed_by text NOT NULL,
  role       text NOT NULL,
  changed_at timestamptz NOT NULL,
  note       text
);
CREATE INDEX mark_changes_lesson ON mark_changes (lesson_id, seq);

-- --- absence notices ---------------------------------------------------------------------------

CREATE TABLE absence_notices (
  id               uuid PRIMARY KEY,
  municipality_id  uuid NOT NULL,
  child_id         uuid,
  group_id         uuid,
  reason           text NOT NULL,
  from_date        date NOT NULL,
  to_date          date NOT NULL,
  received_at      timestamptz NOT NULL,
  on_time          boolean NOT NULL,
  proof_due_on     date,
  proof_ref        text,
  proof_at         timestamptz,
  submitted_by     text NOT NULL,
  submitted_role   text NOT NULL,
  CHECK (child_id IS NOT NULL OR group_id IS NOT NULL),
  CHECK (to_date >= from_date)
);
CREATE INDEX absence_notices_child ON absence_notices (child_id, from_date);
CREATE INDEX absence_notices_group ON absence_notices (group_id, from_date);

-- --- signals -----------------------------------------------------------------------------------

CREATE TABLE signals (
  id              uuid PRIMARY KEY,
  municipality_id uuid NOT NULL,
  kind            text NOT NULL,
  -- One signal per finding (the same overlap marked again raises nothing new).
  finding         text NOT NULL UNIQUE,
  child_id        uuid,
  group_ids       uuid[] NOT NULL,
  provider_ids    uuid[] NOT NULL,
  lesson_ids      uuid[] NOT NULL,
  evidence        jsonb NOT NULL,
  raised_at       timestamptz NOT NULL
);
CREATE INDEX signals_municipality ON signals (municipality_id, raised_at DESC);

-- --- months ------------------------------------------------------------------------------------

CREATE TABLE months (
  municipality_id uuid NOT NULL,
  month           text NOT NULL,
  status          text NOT NULL CHECK (status IN ('closed', 'reopened')),
  version         int NOT NULL,
  closed_at       timestamptz,
  closed_by       text,
  reopened_at     timestamptz,
  reopened_by     text,
  PRIMARY KEY (municipality_id, month)
);

CREATE TABLE month_summaries (
  municipality_id uuid NOT NULL,
  month           text NOT NULL,
  enrollment_id   uuid NOT NULL,
  version         int NOT NULL,
  summary         jsonb NOT NULL,
  PRIMARY KEY (municipality_id, month, enrollment_id, version)
);
