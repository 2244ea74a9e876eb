-- The calendar and the notice thresholds take effect from a date, and the history is kept (issue
-- #18), as attendance's rules do: each setting is a version of its own, never overwritten. The
-- version in force on a local date (the municipality's zone) is the one with the latest effective
-- date not after it (of two with one date, the later set, `seq`); before the first, the defaults
-- (the country's fixed holidays; 5 places and 24 hours, usecases/notifications.ts).
--
-- A year's calendar set before this migration was set for the whole year: its row becomes a
-- version from the year's first day. The notice thresholds set before it became the municipality's
-- when they were saved (the values before were the defaults): their row becomes a version from
-- that local day.
ALTER TABLE municipality_calendars DROP CONSTRAINT municipality_calendars_pkey;
ALTER TABLE municipality_calendars RENAME COLUMN updated_at TO set_at;
ALTER TABLE municipality_calendars RENAME COLUMN updated_by TO set_by;
ALTER TABLE municipality_calendars
  ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ADD COLUMN effective_from date;
UPDATE municipality_calendars SET effective_from = make_date(year, 1, 1);
ALTER TABLE municipality_calendars
  ALTER COLUMN effective_from SET NOT NULL,
  ADD CONSTRAINT municipality_calendars_effective_in_year CHECK (extract(year FROM effective_from) = year);
CREATE INDEX municipality_calendars_by_year ON municipality_calendars (municipality_id, year, effective_from, seq);

ALTER TABLE municipality_settings DROP CONSTRAINT municipality_settings_pkey;
ALTER TABLE municipality_settings RENAME COLUMN updated_at TO set_at;
ALTER TABLE municipality_settings RENAME COLUMN updated_by TO set_by;
ALTER TABLE municipality_settings
  ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ADD COLUMN effective_from date;
UPDATE municipality_settings s
   SET effective_from = (s.set_at AT TIME ZONE COALESCE((SELECT m.time_zone FROM municipalities m WHERE m.id = s.municipality_id), 'UTC'))::date;
ALTER TABLE municipality_settings ALTER COLUMN effective_from SET NOT NULL;
CREATE INDEX municipality_settings_by_date ON municipality_settings (municipality_id, effective_from, seq);
