-- Registry: the only database with personal data. Money is bigint minor units.

CREATE TABLE municipalities (
  id          uuid PRIMARY KEY,
  code        char(4) NOT NULL UNIQUE CHECK (code ~ '^[0-9]{4}$'),
  name        text NOT NULL,
  region_code text NOT NULL,
  time_zone   text NOT NULL,
  currency    text NOT NULL CHECK (currency IN ('RUB', 'KZT')),
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE municipality_years (
  municipality_id       uuid NOT NULL REFERENCES municipalities (id),
  year                  int NOT NULL CHECK (year BETWEEN 2000 AND 2200),
  nominal               bigint NOT NULL CHECK (nominal >= 0),
  budget                bigint NOT NULL CHECK (budget >= 0),
  financed_cap          int NOT NULL CHECK (financed_cap >= 0),
  -- The cap holds under concurrency because conversions increment this in one conditional UPDATE.
  financed_count        int NOT NULL DEFAULT 0 CHECK (financed_count >= 0 AND financed_count <= financed_cap),
  children_population   int NOT NULL CHECK (children_population >= 0),
  categories            jsonb NOT NULL,
  max_open_applications int NOT NULL CHECK (max_open_applications > 0),
  deadlines             jsonb NOT NULL,
  updated_at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality_id, year)
);

CREATE TABLE guardians (
  id              uuid PRIMARY KEY,
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  first_name      text NOT NULL,
  last_name       text NOT NULL,
  patronymic      text,
  phone           text,
  email           text,
  document_kind   text NOT NULL,
  document_number text NOT NULL,
  -- A guardian registers once in the region: matched by the normalised document's hash.
  document_hash   text NOT NULL UNIQUE,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX guardians_municipality ON guardians (municipality_id);

CREATE TABLE children (
  id                  uuid PRIMARY KEY,
  municipality_id     uuid NOT NULL REFERENCES municipalities (id),
  first_name          text NOT NULL,
  last_name           text NOT NULL,
  patronymic          text,
  birth_date          date NOT NULL,
  document_kind       text NOT NULL,
  document_number     text NOT NULL,
  normalised_document text NOT NULL,
  document_hash       text NOT NULL UNIQUE,
  -- Normalised last name, first name and birth date: finds "the same child" registered twice.
  identity_key        text NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX children_identity ON children (identity_key);
CREATE INDEX children_municipality ON children (municipality_id);

CREATE TABLE child_guardians (
  child_id    uuid NOT NULL REFERENCES children (id),
  guardian_id uuid NOT NULL REFERENCES guardians (id),
  PRIMARY KEY (child_id, guardian_id)
);
CREATE INDEX child_guardians_guardian ON child_guardians (guardian_id);

CREATE TABLE child_categories (
  child_id    uuid NOT NULL REFERENCES children (id),
  code        text NOT NULL,
  proof       text NOT NULL,
  valid_from  date NOT NULL,
  valid_until date NOT NULL CHECK (valid_until >= valid_from),
  PRIMARY KEY (child_id, code)
);

-- Serials are unique in the region; the municipality code in front of them tells where a
-- certificate was issued. A sequence never blocks concurrent issuance (gaps are harmless).
CREATE SEQUENCE certificate_serial_seq MAXVALUE 99999999;

CREATE TABLE certificates (
  id              uuid PRIMARY KEY,
  number          text NOT NULL UNIQUE,
  -- One certificate per child in the whole region.
  child_id        uuid NOT NULL UNIQUE REFERENCES children (id),
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  status          text NOT NULL CHECK (status IN ('active', 'suspended', 'closed')),
  funding         text NOT NULL CHECK (funding IN ('accounting', 'financed')),
  financed_year   int,
  suspended_reason text,
  closed_reason   text,
  closed_comment  text,
  issued_at       timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  CHECK ((funding = 'financed') = (financed_year IS NOT NULL))
);
CREATE INDEX certificates_municipality ON certificates (municipality_id);

-- Applications held for an operator: a near-duplicate of a child who already has a certificate.
CREATE TABLE certificate_applications (
  id               uuid PRIMARY KEY,
  child_id         uuid NOT NULL REFERENCES children (id),
  municipality_id  uuid NOT NULL REFERENCES municipalities (id),
  status           text NOT NULL CHECK (status IN ('held', 'approved', 'rejected')),
  similar_child_id uuid NOT NULL REFERENCES children (id),
  reason           text NOT NULL,
  certificate_id   uuid REFERENCES certificates (id),
  decided_by       text,
  decided_at       timestamptz,
  decision_comment text,
  created_at       timestamptz NOT NULL
);
CREATE UNIQUE INDEX certificate_applications_one_held ON certificate_applications (child_id) WHERE status = 'held';
CREATE INDEX certificate_applications_municipality ON certificate_applications (municipality_id, status);

CREATE TABLE providers (
  id                uuid PRIMARY KEY,
  municipality_id   uuid NOT NULL REFERENCES municipalities (id),
  kind              text NOT NULL CHECK (kind IN ('municipal', 'state', 'private', 'entrepreneur')),
  name              text NOT NULL,
  tax_id            text NOT NULL UNIQUE,
  licence_number    text NOT NULL,
  licence_issued_on date NOT NULL,
  status            text NOT NULL CHECK (status IN ('applied', 'approved', 'rejected', 'suspended')),
  checks            jsonb NOT NULL DEFAULT '{}',
  rejection_reasons text[],
  suspended_reason  text,
  applicant_subject text NOT NULL,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL
);
CREATE INDEX providers_municipality ON providers (municipality_id, status);
