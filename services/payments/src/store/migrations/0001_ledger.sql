-- The ledger: TigerBeetle's accounts and transfers, on Postgres. Money is bigint minor units of
-- the account's currency (its "ledger"). Balance columns only ever grow, as in TigerBeetle; a
-- balance is credits - debits (or the reverse) and the flags say which may never go negative.
-- The database, not the code, refuses a transfer that would break a flag: the CHECK constraints
-- below are evaluated on every UPDATE of a row, and UPDATEs of one row are serialised by its row
-- lock, so no interleaving of transactions can commit a forbidden balance.

CREATE TABLE ledger_accounts (
  id                             uuid PRIMARY KEY,
  municipality_id                uuid NOT NULL,
  currency                       text NOT NULL CHECK (currency IN ('RUB', 'KZT')),
  kind                           text NOT NULL CHECK (kind IN ('budget_source', 'budget', 'certificate', 'provider_payable', 'provider_paid',
                                                               'family_receivable', 'benefits', 'compensations', 'test')),
  owner_id                       uuid NOT NULL,
  year                           int NOT NULL,
  debits_pending                 bigint NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
  debits_posted                  bigint NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
  credits_pending                bigint NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
  credits_posted                 bigint NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
  debits_must_not_exceed_credits boolean NOT NULL,
  credits_must_not_exceed_debits boolean NOT NULL,
  created_at                     timestamptz NOT NULL,
  CONSTRAINT account_flags_exclusive CHECK (NOT (debits_must_not_exceed_credits AND credits_must_not_exceed_debits)),
  -- TigerBeetle: debits_pending + debits_posted <= credits_posted (pending debits already count).
  CONSTRAINT exceeds_credits CHECK (NOT debits_must_not_exceed_credits OR debits_pending + debits_posted <= credits_posted),
  CONSTRAINT exceeds_debits CHECK (NOT credits_must_not_exceed_debits OR credits_pending + credits_posted <= debits_posted),
  UNIQUE (kind, owner_id, year)
);
CREATE INDEX ledger_accounts_municipality ON ledger_accounts (municipality_id, year);

-- Transfers never change once written (a trigger refuses UPDATE and DELETE). A caller-chosen id
-- makes them idempotent: the primary key lets one of two concurrent inserts of an id win.
CREATE TABLE ledger_transfers (
  id                uuid PRIMARY KEY,
  municipality_id   uuid NOT NULL,
  debit_account_id  uuid NOT NULL REFERENCES ledger_accounts (id),
  credit_account_id uuid NOT NULL REFERENCES ledger_accounts (id),
  amount            bigint NOT NULL CHECK (amount >= 0),
  currency          text NOT NULL,
  kind              text NOT NULL CHECK (kind IN ('single', 'pending', 'post_pending', 'void_pending')),
  balancing_debit   boolean NOT NULL DEFAULT false,
  pending_id        uuid REFERENCES ledger_transfers (id),
  code              text NOT NULL,
  -- Every posting says why: the event it answers, or the command (and who gave it).
  cause_event_id    uuid,
  cause_command     text,
  linked_to         uuid,
  created_at        timestamptz NOT NULL,
  CHECK (debit_account_id <> credit_account_id),
  CHECK (cause_event_id IS NOT NULL OR cause_command IS NOT NULL),
  CHECK ((kind IN ('post_pending', 'void_pending')) = (pending_id IS NOT NULL))
);
CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit_account_id, created_at);
CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit_account_id, created_at);
CREATE INDEX ledger_transfers_municipality ON ledger_transfers (municipality_id);

-- A pending transfer is resolved (posted or voided) at most once: the primary key decides, even
-- between two concurrent resolutions.
CREATE TABLE ledger_pending_resolutions (
  pending_id  uuid PRIMARY KEY REFERENCES ledger_transfers (id),
  transfer_id uuid NOT NULL REFERENCES ledger_transfers (id),
  kind        text NOT NULL CHECK (kind IN ('post_pending', 'void_pending'))
);

CREATE FUNCTION ledger_transfers_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger transfers never change (transfer %)', OLD.id USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER ledger_transfers_immutable BEFORE UPDATE OR DELETE ON ledger_transfers
  FOR EACH ROW EXECUTE FUNCTION ledger_transfers_immutable();
