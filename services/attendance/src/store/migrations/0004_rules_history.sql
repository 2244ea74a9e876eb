-- Rules take effect from a date, and the history is kept (issue #18): each setting of a year's
-- rules is a version of its own, never overwritten. The rules in force on a local date are the
-- version of that year with the latest effective date not after it (of two with one date, the
-- later set, `seq`); before the first, the seed defaults (domain/rules.ts). A year set before
-- this migration was set for the whole year: its row becomes a version from the year's first day.
ALTER TABLE attendance_rules DROP CONSTRAINT attendance_rules_pkey;
ALTER TABLE attendance_rules RENAME COLUMN updated_at TO set_at;
ALTER TABLE attendance_rules
  ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ADD COLUMN effective_from date,
  ADD COLUMN set_by text NOT NULL DEFAULT 'unknown';
UPDATE attendance_rules SET effective_from = make_date(year, 1, 1);
ALTER TABLE attendance_rules
  ALTER COLUMN effective_from SET NOT NULL,
  ALTER COLUMN set_by DROP DEFAULT,
  ADD CONSTRAINT attendance_rules_effective_in_year CHECK (extract(year FROM effective_from) = year);
CREATE INDEX attendance_rules_by_year ON attendance_rules (municipality_id, year, effective_from, seq);
