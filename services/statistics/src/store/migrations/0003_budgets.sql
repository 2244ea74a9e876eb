-- The year's budget of a municipality (registry.municipality.year-set), published beside the
-- money committed and spent. Null for years recorded before this migration until a replay.
ALTER TABLE populations ADD COLUMN budget bigint;
