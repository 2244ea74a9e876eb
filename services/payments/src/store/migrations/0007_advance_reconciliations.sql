-- An advance reconciled by the municipality against its month's bill (issue #18): one row per
-- register that carried the advance. The database, not only the code, keeps the money whole and
-- never below zero: every amount is non-negative, the advance plus the rest less the excess is the
-- bill, and a reconciliation has a rest or an excess, never both.
CREATE TABLE advance_reconciliations (
  register_id     uuid PRIMARY KEY REFERENCES registers (id),
  municipality_id uuid NOT NULL,
  provider_id     uuid NOT NULL,
  month           text NOT NULL,
  advance         bigint NOT NULL CHECK (advance > 0),
  billed          bigint NOT NULL CHECK (billed >= 0),
  rest            bigint NOT NULL CHECK (rest >= 0),
  excess          bigint NOT NULL CHECK (excess >= 0),
  reconciled_by   text NOT NULL,
  reconciled_at   timestamptz NOT NULL,
  CONSTRAINT reconciliation_balances CHECK (advance + rest - excess = billed),
  CONSTRAINT reconciliation_one_side CHECK (rest = 0 OR excess = 0)
);
CREATE INDEX advance_reconciliations_municipality ON advance_reconciliations (municipality_id, month);
