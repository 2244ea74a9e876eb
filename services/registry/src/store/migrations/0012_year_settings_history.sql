-- A year's settings take effect from a date, and the history is kept (issue #18), as attendance
-- keeps its rules (attendance 0004_rules_history.sql): every setting is a version of its own, never
-- overwritten. The version in force on a local date is the one of that year with the latest
-- effective date not after it (of two with one date, the later saved, `seq`). A year set before
-- this migration was set for the whole year: its row becomes a version from the year's first day.
-- `municipality_years` keeps only the year's financed count: the row conversions lock (and the
-- amendment locks) so the cap in force holds under concurrency.
CREATE TABLE municipality_year_versions (
  seq                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  municipality_id       uuid NOT NULL REFERENCES municipalities (id),
  year                  int NOT NULL CHECK (year BETWEEN 2000 AND 2200),
  effective_from        date NOT NULL,
  nominal               bigint NOT NULL CHECK (nominal >= 0),
  budget                bigint NOT NULL CHECK (budget >= 0),
  financed_cap          int NOT NULL CHECK (financed_cap >= 0),
  children_population   int NOT NULL CHECK (children_population >= 0),
  categories            jsonb NOT NULL,
  max_open_applications int NOT NULL CHECK (max_open_applications > 0),
  deadlines             jsonb NOT NULL,
  set_at                timestamptz NOT NULL DEFAULT now(),
  set_by                text NOT NULL,
  -- When the version was announced (registry.municipality.year-set). The services that keep a
  -- year's settings apply what they hear at once, so a version dated later in a running year is
  -- announced on its date (usecases/municipalities.ts announceYearSettings), not when saved.
  announced_at          timestamptz,
  CONSTRAINT municipality_year_versions_effective_in_year CHECK (extract(year FROM effective_from) = year)
);
CREATE INDEX municipality_year_versions_by_year ON municipality_year_versions (municipality_id, year, effective_from, seq);
CREATE INDEX municipality_year_versions_unannounced ON municipality_year_versions (effective_from, seq) WHERE announced_at IS NULL;

INSERT INTO municipality_year_versions
  (municipality_id, year, effective_from, nominal, budget, financed_cap, children_population, categories, max_open_applications, deadlines, set_at, set_by, announced_at)
SELECT municipality_id, year, make_date(year, 1, 1), nominal, budget, financed_cap, children_population, categories, max_open_applications, deadlines, updated_at, 'unknown', updated_at
  FROM municipality_years;

-- Dropping financed_cap drops the check that tied the count to it; the cap is now checked against
-- the version in force when a place is taken (store/municipalities.ts takeFinancedPlace).
ALTER TABLE municipality_years
  DROP COLUMN nominal,
  DROP COLUMN budget,
  DROP COLUMN financed_cap,
  DROP COLUMN children_population,
  DROP COLUMN categories,
  DROP COLUMN max_open_applications,
  DROP COLUMN deadlines;
ALTER TABLE municipality_years ADD CONSTRAINT municipality_years_financed_count_check CHECK (financed_count >= 0);
