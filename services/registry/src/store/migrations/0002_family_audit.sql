-- What an operator did for a family at the office, and on what basis (the family came in person,
-- or wrote): the family reads its trail (GET /children/{id}/audit, GET /guardians/{id}/audit).
-- Written in the transaction of the act itself, so an act and its entry stand or fall together.
CREATE TABLE family_audit (
  id              uuid PRIMARY KEY,
  -- The order acts were written in (acts of one request share its clock's instant).
  seq             bigint GENERATED ALWAYS AS IDENTITY,
  municipality_id uuid NOT NULL,
  child_id        uuid,
  guardian_id     uuid,
  action          text NOT NULL,
  subject_id      uuid NOT NULL,
  actor_subject   text NOT NULL,
  actor_role      text NOT NULL,
  basis_kind      text NOT NULL CHECK (basis_kind IN ('in_person_visit', 'written_request')),
  basis_reference text,
  at              timestamptz NOT NULL,
  CHECK (child_id IS NOT NULL OR guardian_id IS NOT NULL)
);
CREATE INDEX family_audit_of_child ON family_audit (child_id, seq) WHERE child_id IS NOT NULL;
CREATE INDEX family_audit_of_guardian ON family_audit (guardian_id, seq) WHERE guardian_id IS NOT NULL;
