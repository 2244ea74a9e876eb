-- Issuance finds a possible second record of a child by birth date and matched names (the
-- domain's samePersonAs), no longer by this exact key; it was written and indexed on every
-- registration for nothing.
ALTER TABLE children DROP COLUMN identity_key;
