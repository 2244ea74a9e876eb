-- A certificate that moves to another municipality of the region takes no money with it: what
-- the old municipality committed and is neither spent nor reserved goes back to its budget, and
-- the new municipality may finance the certificate in the same year. So a certificate may hold a
-- financing request per municipality in a year (the key names the municipality), a committed one
-- records when its money went back (`released_at`: the move, or the certificate's closure), and a
-- request still waiting when the certificate moves or closes leaves the waiting list (`withdrawn`).
ALTER TABLE financing_requests DROP CONSTRAINT financing_requests_pkey;
ALTER TABLE financing_requests ADD PRIMARY KEY (certificate_id, year, municipality_id);
ALTER TABLE financing_requests ADD COLUMN released_at timestamptz;
-- Set on a request made after the certificate moved in: its transfers' ids name the municipality,
-- so that they are not taken for the first municipality's (derived ids make redeliveries idempotent).
ALTER TABLE financing_requests ADD COLUMN moved_in boolean NOT NULL DEFAULT false;
ALTER TABLE financing_requests DROP CONSTRAINT financing_requests_status_check;
ALTER TABLE financing_requests ADD CONSTRAINT financing_requests_status_check CHECK (status IN ('waiting', 'committed', 'withdrawn'));

-- The certificate's account of a year is one per financing municipality (the municipality it
-- moved to funds an account of its own books): one account per kind, owner, year and municipality.
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_kind_owner_id_year_key;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_kind_owner_id_year_municipality_key UNIQUE (kind, owner_id, year, municipality_id);
