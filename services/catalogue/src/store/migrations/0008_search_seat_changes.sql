-- Narrower notifications for seat changes (issue #20). On an opening day enrollment events take
-- and free seats dozens of times a second in one municipality, and each one emptied all its
-- answers in every catalogue process (0003), so the navigator computed nearly every search. A
-- seat change alters only what an answer shows of seats: the changed program's free seats (in
-- the answers that list it) and which programs have a free seat (answers and counts asked with
-- "only free seats"). An UPDATE that changes nothing else now notifies
--   '<municipality id> - <program id>'
-- when only its count of free seats changed, '<municipality id> + <program id>' when the program
-- gained its first free seat or lost its last (programs.free_seats crossed zero: what "only free
-- seats" filters by without a weekday or time), and '<municipality id> * <program id>
-- <weekday>.<start>.<end>' when a weekly slot's has_free_seat flipped (what it filters by with
-- them). The answer cache drops only the answers showing the program, with '+' those asked with
-- "only free seats" alone, and with '*' those asked with it in a window the slot lies in
-- (store/search-cache.ts). Any other change, and every INSERT and DELETE, still notifies
-- '<municipality id>' as before. A group's active_enrollments alone notifies '-': its program's
-- free_seats and its slots' flags change in the same transaction and say the rest.
--
-- Seat-only means: programs.free_seats, groups.active_enrollments, group_slots.has_free_seat
-- (and updated_at) differ, nothing else. Compared as jsonb without those keys, so a column added
-- later counts as "something else" without this migration being touched.

-- Static queries, not EXECUTE: PL/pgSQL keeps their plans for the session, where a dynamic
-- query is planned again on every call (0.3-0.6 ms per statement, measured).
CREATE FUNCTION catalogue_search_notify_update() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  payload text;
BEGIN
  IF TG_TABLE_NAME = 'programs' THEN
    FOR payload IN
      WITH pairs AS (
             SELECT o.municipality_id AS old_m, n.municipality_id AS new_m, o.status AS old_s, n.status AS new_s, n.id,
                    o.free_seats > 0 AS available_before, n.free_seats > 0 AS available_after,
                    (to_jsonb(o) - 'free_seats' - 'updated_at') = (to_jsonb(n) - 'free_seats' - 'updated_at') AS seats_only
             FROM old_rows o JOIN new_rows n ON n.id = o.id)
           SELECT old_m::text FROM pairs WHERE NOT seats_only AND old_s = 'published'
           UNION SELECT new_m::text FROM pairs WHERE NOT seats_only AND new_s = 'published'
           UNION SELECT new_m || CASE WHEN available_before = available_after THEN ' - ' ELSE ' + ' END || id FROM pairs WHERE seats_only AND new_s = 'published'
           -- Ids never change; were one to, its rows pair with nothing and count as changed.
           UNION SELECT municipality_id::text FROM new_rows n WHERE status = 'published' AND NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.id = n.id)
           UNION SELECT municipality_id::text FROM old_rows o WHERE status = 'published' AND NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.id = o.id)
    LOOP
      PERFORM pg_notify('catalogue_search', payload);
    END LOOP;
  ELSIF TG_TABLE_NAME = 'groups' THEN
    FOR payload IN
      WITH pairs AS (
             SELECT o.program_id AS old_p, n.program_id AS new_p,
                    (to_jsonb(o) - 'active_enrollments' - 'updated_at') = (to_jsonb(n) - 'active_enrollments' - 'updated_at') AS seats_only
             FROM old_rows o JOIN new_rows n ON n.id = o.id)
           SELECT p.municipality_id::text FROM pairs JOIN programs p ON p.id = pairs.old_p WHERE NOT pairs.seats_only AND p.status = 'published'
           UNION SELECT p.municipality_id::text FROM pairs JOIN programs p ON p.id = pairs.new_p WHERE NOT pairs.seats_only AND p.status = 'published'
           UNION SELECT p.municipality_id || ' - ' || p.id FROM pairs JOIN programs p ON p.id = pairs.new_p WHERE pairs.seats_only AND p.status = 'published'
           UNION SELECT p.municipality_id::text FROM new_rows n JOIN programs p ON p.id = n.program_id WHERE p.status = 'published' AND NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.id = n.id)
           UNION SELECT p.municipality_id::text FROM old_rows o JOIN programs p ON p.id = o.program_id WHERE p.status = 'published' AND NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.id = o.id)
    LOOP
      PERFORM pg_notify('catalogue_search', payload);
    END LOOP;
  ELSE
    -- group_slots has no key to pair rows by: the statement is seat-only when its rows without
    -- has_free_seat are the same before and after, as multisets.
    FOR payload IN
      WITH same AS (
             SELECT coalesce((SELECT array_agg((to_jsonb(o) - 'has_free_seat')::text ORDER BY (to_jsonb(o) - 'has_free_seat')::text) FROM old_rows o), '{}')
                  = coalesce((SELECT array_agg((to_jsonb(n) - 'has_free_seat')::text ORDER BY (to_jsonb(n) - 'has_free_seat')::text) FROM new_rows n), '{}') AS seats_only)
           SELECT n.municipality_id || ' * ' || n.program_id || ' ' || n.weekday || '.' || n.start_minute || '.' || n.end_minute FROM new_rows n, same WHERE same.seats_only
           UNION SELECT o.municipality_id::text FROM old_rows o, same WHERE NOT same.seats_only
           UNION SELECT n.municipality_id::text FROM new_rows n, same WHERE NOT same.seats_only
    LOOP
      PERFORM pg_notify('catalogue_search', payload);
    END LOOP;
  END IF;
  RETURN NULL;
END $$;

DROP TRIGGER programs_search_update_old ON programs;
DROP TRIGGER programs_search_update_new ON programs;
DROP TRIGGER groups_search_update ON groups;
DROP TRIGGER group_slots_search_update ON group_slots;

CREATE TRIGGER programs_search_update AFTER UPDATE ON programs REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_notify_update();
CREATE TRIGGER groups_search_update AFTER UPDATE ON groups REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_notify_update();
CREATE TRIGGER group_slots_search_update AFTER UPDATE ON group_slots REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_notify_update();
