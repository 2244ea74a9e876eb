-- Which provider may read which child's name, age and guardians' contacts: the provider of a
-- group the child applied to, while the application is open, and while the child is enrolled
-- there. Kept from enrollment's events (ids only travel; the names stay here). An application's
-- events and its enrollment's travel under different keys, so either may come first: every
-- event writes the whole row it knows, and `closed` is final.
CREATE TABLE provider_applicants (
  application_id uuid PRIMARY KEY,
  provider_id    uuid NOT NULL,
  child_id       uuid NOT NULL,
  group_id       uuid NOT NULL,
  enrollment_id  uuid UNIQUE,
  state          text NOT NULL CHECK (state IN ('applied', 'enrolled', 'closed')),
  updated_at     timestamptz NOT NULL
);
CREATE INDEX provider_applicants_open ON provider_applicants (provider_id, child_id) WHERE state <> 'closed';

-- A provider's read of its applicants is a look-up of personal data like the office's.
ALTER TABLE person_lookups DROP CONSTRAINT person_lookups_kind_check;
ALTER TABLE person_lookups ADD CONSTRAINT person_lookups_kind_check CHECK (kind IN ('search', 'child', 'guardian', 'applicants'));
