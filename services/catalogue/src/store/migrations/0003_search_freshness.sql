-- The navigator's answer cache (store/search-cache.ts) keeps whole answers per municipality in
-- each catalogue process and must drop them as soon as anything they show changes. Every
-- statement that changes what search can see notifies the channel `catalogue_search` with the
-- municipality's id, in its own transaction: Postgres delivers a notification only when (and
-- if) that transaction commits, and delivers identical ones of one transaction once, so a bulk
-- statement costs one notification per municipality, not one per row. Triggers rather than
-- calls in the code, so that no write path (a consumer, a route, the seed, a hand-written fix in
-- psql) can forget it.
--
-- What search shows comes from programs (listing, content, free seats, ratings), groups (open
-- groups), group_slots (weekday/time, free seat per slot), providers (name, approval),
-- municipalities (time zone) and municipality_years (nominal, for certificate coverage).
-- Statement-level triggers with transition tables: a table gets one trigger per event, as
-- Postgres allows transition tables only on single-event triggers.

CREATE FUNCTION catalogue_search_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  changed uuid;
BEGIN
  FOR changed IN EXECUTE format(
    CASE TG_TABLE_NAME
      -- Drafts are not searchable: their edits need not drop anything.
      WHEN 'programs' THEN 'SELECT DISTINCT municipality_id FROM %I WHERE status = ''published'''
      WHEN 'groups' THEN 'SELECT DISTINCT p.municipality_id FROM %I g JOIN programs p ON p.id = g.program_id WHERE p.status = ''published'''
      WHEN 'providers' THEN 'SELECT municipality_id FROM %1$I UNION SELECT p.municipality_id FROM %1$I r JOIN programs p ON p.provider_id = r.id'
      WHEN 'municipalities' THEN 'SELECT id FROM %I'
      ELSE 'SELECT DISTINCT municipality_id FROM %I' -- group_slots, municipality_years
    END,
    TG_ARGV[0])
  LOOP
    PERFORM pg_notify('catalogue_search', changed::text);
  END LOOP;
  RETURN NULL;
END $$;

CREATE TRIGGER programs_search_insert AFTER INSERT ON programs REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_notify('changed_rows');
CREATE TRIGGER programs_search_update_old AFTER UPDATE ON programs REFERENCING OLD TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_notify('changed_rows');
CREATE TRIGGER programs_search_update_new AFTER UPDATE ON programs REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_notify('changed_rows');
CREATE TRIGGER programs_search_delete AFTER DELETE ON programs REFERENCING OLD TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_notify('changed_rows');

CREATE TRIGGER groups_search_insert AFTER INSERT ON groups REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_notify('changed_rows');
CREATE TRIGGER groups_search_update AFTER UPDATE ON groups REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_notify('changed_rows');
CREATE TRIGGER groups_search_delete AFTER DELETE ON groups REFERENCING OLD TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_notify('changed_rows');

CREATE TRIGGER group_slots_search_insert AFTER INSERT ON group_slots REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_notify('changed_rows');
CREATE TRIGGER group_slots_search_update AFTER UPDATE ON group_slots REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_notify('changed_rows');
CREATE TRIGGER group_slots_search_delete AFTER DELETE ON group_slots REFERENCING OLD TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_notify('changed_rows');

-- A provider's municipality never changes in practice, but the new row's is the one notified;
-- its programs' municipalities are found through programs either way.
CREATE TRIGGER providers_search_insert AFTER INSERT ON providers REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_notify('changed_rows');
CREATE TRIGGER providers_search_update AFTER UPDATE ON providers REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_notify('changed_rows');

CREATE TRIGGER municipalities_search_insert AFTER INSERT ON municipalities REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_notify('changed_rows');
CREATE TRIGGER municipalities_search_update AFTER UPDATE ON municipalities REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_notify('changed_rows');

CREATE TRIGGER municipality_years_search_insert AFTER INSERT ON municipality_years REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_notify('changed_rows');
CREATE TRIGGER municipality_years_search_update AFTER UPDATE ON municipality_years REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_notify('changed_rows');
