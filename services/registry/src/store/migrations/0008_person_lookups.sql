-- Every look-up of personal data by the office: a search for a family or a read of a child's or
-- a guardian's record. Who looked, on what basis (when stated), for what, and whom it showed:
-- the municipality's data-protection officer answers from this table.
CREATE TABLE person_lookups (
  id              uuid PRIMARY KEY,
  seq             bigint GENERATED ALWAYS AS IDENTITY,
  municipality_id uuid NOT NULL,
  actor_subject   text NOT NULL,
  actor_role      text NOT NULL,
  basis_kind      text CHECK (basis_kind IN ('in_person_visit', 'written_request')),
  basis_reference text,
  kind            text NOT NULL CHECK (kind IN ('search', 'child', 'guardian')),
  criteria        jsonb NOT NULL,
  child_ids       uuid[] NOT NULL,
  guardian_ids    uuid[] NOT NULL,
  at              timestamptz NOT NULL
);
CREATE INDEX person_lookups_municipality ON person_lookups (municipality_id, seq);
CREATE INDEX person_lookups_children ON person_lookups USING gin (child_ids);
