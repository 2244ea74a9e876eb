-- Categories are verified, not declared. child_categories holds only what an operator verified
-- (it alone ranks queues, sets coefficients and grants benefits); a family's claim waits in
-- category_claims until the office verifies or rejects it. A proof is a document the operator
-- checks: its kind, number, issuer and date of issue (validity counts from the issue).
ALTER TABLE child_categories ALTER COLUMN proof TYPE jsonb
  USING jsonb_build_object('kind', 'документ', 'number', proof, 'issuer', 'не указан', 'issuedOn', to_char(valid_from, 'YYYY-MM-DD'));
ALTER TABLE child_categories
  ADD COLUMN verified_by       text,
  ADD COLUMN verified_at       timestamptz,
  -- The family was told the category ends in 30 days / the end was announced: each happens once per record.
  ADD COLUMN expiry_noticed    boolean NOT NULL DEFAULT false,
  ADD COLUMN expiry_announced  boolean NOT NULL DEFAULT false;
CREATE INDEX child_categories_valid_until ON child_categories (valid_until) WHERE NOT expiry_announced;

CREATE TABLE category_claims (
  id           uuid PRIMARY KEY,
  child_id     uuid NOT NULL REFERENCES children (id),
  code         text NOT NULL,
  proof        jsonb NOT NULL,
  valid_from   date NOT NULL,
  valid_until  date NOT NULL CHECK (valid_until >= valid_from),
  status       text NOT NULL CHECK (status IN ('pending', 'verified', 'rejected', 'withdrawn')),
  claimed_by   text NOT NULL,
  claimed_at   timestamptz NOT NULL,
  decided_by   text,
  decided_at   timestamptz,
  reason       text,
  CHECK ((status = 'pending') = (decided_at IS NULL)),
  CHECK (status <> 'rejected' OR reason IS NOT NULL)
);
-- One claim of a category waits at a time: a newer one replaces it.
CREATE UNIQUE INDEX category_claims_pending ON category_claims (child_id, code) WHERE status = 'pending';
CREATE INDEX category_claims_child ON category_claims (child_id, claimed_at);
CREATE INDEX category_claims_waiting ON category_claims (claimed_at) WHERE status = 'pending';
