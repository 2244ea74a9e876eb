-- Billing rules take effect from a date, and the history is kept (issue #18), as attendance keeps
-- its rules: each setting of a year's billing rules is a version of its own, never overwritten.
-- The rules in force on a local date are the version of that year with the latest effective date
-- not after it (of two with one date, the later set, `seq`); before the first, none (billing then
-- charges the certificate the group's price: domain/billing.ts, defaultBillingRules). A year set
-- before this migration was set for the whole year: its row becomes a version from the year's
-- first day, set by nobody known at no known time (set_at NULL: only those rows).
ALTER TABLE billing_rules DROP CONSTRAINT billing_rules_pkey;
ALTER TABLE billing_rules
  ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ADD COLUMN effective_from date,
  ADD COLUMN set_at timestamptz,
  ADD COLUMN set_by text NOT NULL DEFAULT 'unknown';
UPDATE billing_rules SET effective_from = make_date(year, 1, 1);
ALTER TABLE billing_rules
  ALTER COLUMN effective_from SET NOT NULL,
  ALTER COLUMN set_by DROP DEFAULT,
  ADD CONSTRAINT billing_rules_effective_in_year CHECK (extract(year FROM effective_from) = year);
CREATE INDEX billing_rules_by_year ON billing_rules (municipality_id, year, effective_from, seq);
