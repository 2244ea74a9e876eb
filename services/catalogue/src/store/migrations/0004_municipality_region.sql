-- Each municipality's region, from registry.municipality.created (issue 12): a region official
-- reaches the programs of its own region's municipalities only. Municipalities recorded before
-- this column have none until the registry announces them again, and a region official is
-- refused there (fail closed), never let through.
ALTER TABLE municipalities ADD COLUMN region_code text;
