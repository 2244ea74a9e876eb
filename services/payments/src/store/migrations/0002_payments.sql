-- What payments keeps of other services' data (projections), and its own decisions: financing
-- requests and their waiting list, billing rules, billed months, payment registers.

CREATE TABLE municipalities (
  id          uuid PRIMARY KEY,
  region_code text NOT NULL,
  time_zone   text NOT NULL,
  currency    text NOT NULL CHECK (currency IN ('RUB', 'KZT'))
);

-- The registry's year settings: nominal, budget, cap, the ordered categories with coefficients.
CREATE TABLE municipality_years (
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  year            int NOT NULL,
  nominal         bigint NOT NULL CHECK (nominal >= 0),
  budget          bigint NOT NULL CHECK (budget >= 0),
  financed_cap    int NOT NULL CHECK (financed_cap >= 0),
  categories      jsonb NOT NULL,
  PRIMARY KEY (municipality_id, year)
);

-- The municipality's billing rules for a year (payments' own settings).
CREATE TABLE billing_rules (
  municipality_id      uuid NOT NULL REFERENCES municipalities (id),
  year                 int NOT NULL,
  normative_per_hour   bigint NOT NULL CHECK (normative_per_hour >= 0),
  co_payment           boolean NOT NULL,
  unexcused            text NOT NULL CHECK (unexcused IN ('charged', 'not_charged')),
  prorate_nominal      boolean NOT NULL DEFAULT false,
  -- Benefits that cut the family's part: [{category, percent}] (100 for orphans, 50/30/20 as listed).
  benefits             jsonb NOT NULL DEFAULT '[]',
  -- Compensation for low-income families: thousandths of the fee after benefits, by the child's order in the family ([first, second, third and later]).
  compensation         jsonb NOT NULL DEFAULT '[]',
  -- Categories whose families pay nothing for a year from the enrollment (forced to leave Ukraine, the LNR, the DNR).
  exempt_categories    text[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (municipality_id, year)
);

CREATE TABLE certificates (
  id              uuid PRIMARY KEY,
  municipality_id uuid NOT NULL,
  child_id        uuid NOT NULL UNIQUE,
  number          text NOT NULL,
  categories      text[] NOT NULL,
  guardian_ids    uuid[] NOT NULL,
  -- The child's verified categories with their proofs' validity: [{code, validFrom, validUntil}].
  category_proofs jsonb NOT NULL DEFAULT '[]',
  -- Set when a guardian applied for compensation: the child's order in the family (1 = first).
  compensation_order int CHECK (compensation_order >= 1),
  status          text NOT NULL CHECK (status IN ('accounting', 'financed', 'closed'))
);

CREATE TABLE groups (
  id              uuid PRIMARY KEY,
  municipality_id uuid NOT NULL,
  program_id      uuid NOT NULL,
  provider_id     uuid NOT NULL,
  price_per_hour  bigint NOT NULL CHECK (price_per_hour >= 0),
  lesson_minutes  int NOT NULL CHECK (lesson_minutes > 0),
  lessons_per_week int NOT NULL CHECK (lessons_per_week >= 0),
  funding_kind    text NOT NULL,
  currency        text NOT NULL,
  ends_on         date NOT NULL
);

CREATE TABLE enrollments (
  id              uuid PRIMARY KEY,
  municipality_id uuid NOT NULL,
  group_id        uuid NOT NULL,
  child_id        uuid NOT NULL,
  -- The local date enrollment announced it started (a displaced family's year of exemption runs from it).
  started_on      date,
  ended           boolean NOT NULL DEFAULT false
);

-- A certificate's request to be financed for a year: committed from the budget, or waiting.
CREATE TABLE financing_requests (
  certificate_id  uuid NOT NULL,
  year            int NOT NULL,
  municipality_id uuid NOT NULL,
  amount          bigint NOT NULL CHECK (amount > 0),
  category_rank   int NOT NULL,
  requested_at    timestamptz NOT NULL,
  status          text NOT NULL CHECK (status IN ('waiting', 'committed')),
  transfer_id     uuid REFERENCES ledger_transfers (id),
  cause_event_id  uuid,
  committed_at    timestamptz,
  PRIMARY KEY (certificate_id, year),
  CHECK ((status = 'committed') = (transfer_id IS NOT NULL))
);
CREATE INDEX financing_waiting ON financing_requests (municipality_id, year, category_rank, requested_at, certificate_id) WHERE status = 'waiting';

-- Each enrollment-month billed: its latest billed version and what that version charged.
CREATE TABLE billed_months (
  enrollment_id      uuid NOT NULL,
  month              text NOT NULL,
  version            int NOT NULL,
  municipality_id    uuid NOT NULL,
  provider_id        uuid NOT NULL,
  certificate_id     uuid,
  lessons            int NOT NULL,
  certificate_amount bigint NOT NULL CHECK (certificate_amount >= 0),
  family_amount      bigint NOT NULL CHECK (family_amount >= 0),
  uncovered_amount   bigint NOT NULL CHECK (uncovered_amount >= 0),
  -- Of the family's part, what a benefit pays (posted from the municipality's benefits account).
  benefit_amount     bigint NOT NULL DEFAULT 0 CHECK (benefit_amount >= 0),
  compensation_amount bigint NOT NULL DEFAULT 0 CHECK (compensation_amount >= 0),
  billed_at          timestamptz NOT NULL,
  PRIMARY KEY (enrollment_id, month)
);

-- Every version billed, for `verify` and the history.
CREATE TABLE billed_versions (
  enrollment_id  uuid NOT NULL,
  month          text NOT NULL,
  version        int NOT NULL,
  cause_event_id uuid NOT NULL,
  PRIMARY KEY (enrollment_id, month, version)
);

-- One register per provider per month (number 1); a correction that arrives after the register
-- was approved goes to a supplementary register (number 2, 3, ...) of the same month.
CREATE TABLE registers (
  id              uuid PRIMARY KEY,
  municipality_id uuid NOT NULL,
  provider_id     uuid NOT NULL,
  month           text NOT NULL,
  number          int NOT NULL,
  currency        text NOT NULL,
  status          text NOT NULL CHECK (status IN ('formed', 'approved', 'paid')),
  formed_at       timestamptz NOT NULL,
  approved_at     timestamptz,
  approved_by     text,
  paid_at         timestamptz,
  payment_order   text,
  -- An advance paid to the provider on this month (register number 1 only): the payment pays the rest.
  advance         bigint NOT NULL DEFAULT 0 CHECK (advance >= 0),
  UNIQUE (provider_id, month, number),
  CHECK ((status = 'paid') = (payment_order IS NOT NULL))
);

CREATE TABLE register_lines (
  register_id        uuid NOT NULL REFERENCES registers (id),
  enrollment_id      uuid NOT NULL,
  certificate_id     uuid,
  lessons            int NOT NULL,
  certificate_amount bigint NOT NULL,
  family_amount      bigint NOT NULL,
  PRIMARY KEY (register_id, enrollment_id)
);

-- An enrollment's reservation on its certificate: the open pending transfer that holds the
-- expected cost to the end of the year or of the group, replaced by a smaller one as months are
-- billed, voided when the enrollment ends.
CREATE TABLE reservations (
  enrollment_id   uuid PRIMARY KEY,
  municipality_id uuid NOT NULL,
  certificate_id  uuid NOT NULL,
  year            int NOT NULL,
  pending_id      uuid REFERENCES ledger_transfers (id),
  amount          bigint NOT NULL CHECK (amount >= 0),
  missing         bigint NOT NULL DEFAULT 0 CHECK (missing >= 0),
  seq             int NOT NULL DEFAULT 0,
  released        boolean NOT NULL DEFAULT false
);

-- The new year, once per certificate per year: the row is the proof it ran (its primary key lets
-- one of two concurrent runs through).
CREATE TABLE year_rollovers (
  certificate_id uuid NOT NULL,
  year           int NOT NULL,
  rolled_at      timestamptz NOT NULL,
  returned       bigint NOT NULL,
  PRIMARY KEY (certificate_id, year)
);
