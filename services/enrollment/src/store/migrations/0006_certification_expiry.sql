-- A financed program's certification has a last day: after it (the municipality's local date)
-- its groups take no certificate applications, make no offers and sign no contracts.
ALTER TABLE groups ADD COLUMN certification_expires_on date;
