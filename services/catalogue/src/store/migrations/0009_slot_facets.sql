-- The facet counts of a weekday and time window (with "only free seats", the search a surge
-- recomputes most) read every listed program of the municipality to semi-join the window's
-- slots: 20-23 ms at Moscow's scale (BENCHMARKS.md, issue #20). Each slot now carries what those
-- counts group and filter by, so that they are counted from the time index alone (8.5-9.2 ms).
-- The copies follow the program in the same statement (the trigger below); writeSlots writes
-- them with the slot.
ALTER TABLE group_slots
  ADD COLUMN direction    text,
  ADD COLUMN funding_kind text,
  ADD COLUMN listed       boolean,
  ADD COLUMN age_min      smallint,
  ADD COLUMN age_max      smallint;

UPDATE group_slots s
SET direction = p.direction, funding_kind = p.funding_kind, listed = p.status = 'published' AND p.provider_approved,
    age_min = p.age_min, age_max = p.age_max
FROM programs p WHERE p.id = s.program_id;

ALTER TABLE group_slots
  ALTER COLUMN direction SET NOT NULL,
  ALTER COLUMN funding_kind SET NOT NULL,
  ALTER COLUMN listed SET NOT NULL,
  ALTER COLUMN age_min SET NOT NULL,
  ALTER COLUMN age_max SET NOT NULL;

-- The program's slots, for the trigger (a program has a handful).
CREATE INDEX group_slots_program ON group_slots (program_id);

DROP INDEX group_slots_time;
CREATE INDEX group_slots_time ON group_slots (municipality_id, weekday, start_minute, end_minute)
  INCLUDE (program_id, has_free_seat, listed, direction, funding_kind, age_min, age_max);

CREATE FUNCTION group_slots_follow_program() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE group_slots
  SET direction = NEW.direction, funding_kind = NEW.funding_kind, listed = NEW.status = 'published' AND NEW.provider_approved,
      age_min = NEW.age_min, age_max = NEW.age_max
  WHERE program_id = NEW.id;
  RETURN NULL;
END
$$;

-- Only when something copied changes: a seat-only update of programs (every enrollment) does not fire it.
CREATE TRIGGER programs_slots_follow
  AFTER UPDATE OF direction, funding_kind, status, provider_approved, age_min, age_max ON programs
  FOR EACH ROW
  WHEN ((OLD.direction, OLD.funding_kind, OLD.status = 'published' AND OLD.provider_approved, OLD.age_min, OLD.age_max)
        IS DISTINCT FROM (NEW.direction, NEW.funding_kind, NEW.status = 'published' AND NEW.provider_approved, NEW.age_min, NEW.age_max))
  EXECUTE FUNCTION group_slots_follow_program();
