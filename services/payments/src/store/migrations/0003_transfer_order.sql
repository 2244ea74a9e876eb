-- The order transfers were posted in. Transfers of one transaction share their instant
-- (created_at), and ordered by id (random) a certificate's movements of one bill came in any
-- order: the charge before the reservation it was paid from was released. The sequence breaks
-- the tie in the order of posting.
ALTER TABLE ledger_transfers ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
