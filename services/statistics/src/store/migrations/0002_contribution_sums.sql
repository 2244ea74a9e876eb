-- The contributions summed per municipality, breakdown and quarter hour (UTC). The publisher
-- reads a block's days from here instead of summing every contribution since the beginning on
-- every round (measured: 150-450 ms a round at 5,000 events/s, growing with history; issue #16).
-- The consumers append what each replacement changes to sum_changes, in its transaction; the
-- publisher folds the changes its snapshot sees into the sums at the start of its round (the only
-- writer of contribution_sums: consumers adding to the same hot sums waited on each other's row
-- locks, which halved a rebuild's rate).
-- A quarter hour lies within one local day in every zone (offsets are whole quarter hours), so
-- local days are exact. `rows` counts the contributions behind a sum, so that a breakdown whose
-- contributions all moved away reads as absent, as it did when summed from the rows themselves.
-- queue.wait is not summed (its samples are read one by one for the percentiles).
CREATE TABLE contribution_sums (
  municipality_id uuid NOT NULL,
  quarter timestamptz NOT NULL,
  sum_key text NOT NULL,
  measure text NOT NULL,
  dims jsonb NOT NULL,
  group_id uuid,
  birth_year int,
  delta bigint NOT NULL,
  rows int NOT NULL,
  PRIMARY KEY (municipality_id, quarter, sum_key)
);

CREATE TABLE sum_changes (
  municipality_id uuid NOT NULL,
  quarter timestamptz NOT NULL,
  measure text NOT NULL,
  dims jsonb NOT NULL,
  group_id uuid,
  birth_year int,
  delta bigint NOT NULL,
  rows int NOT NULL
);

INSERT INTO contribution_sums (municipality_id, quarter, sum_key, measure, dims, group_id, birth_year, delta, rows)
SELECT municipality_id, date_bin('15 minutes', at, timestamptz '2000-01-01 00:00:00+00') AS quarter,
       measure || '|' || dims::text || '|' || coalesce(group_id::text, '') || '|' || coalesce(birth_year::text, '') AS sum_key,
       measure, dims, group_id, birth_year, sum(delta) AS delta, count(*) AS rows
FROM contributions WHERE measure <> 'queue.wait'
GROUP BY 1, 2, 3, 4, 5, 6, 7;

-- The waiting times a block's percentiles are computed from (store/cells.ts waitTimes): read
-- alone, not among every other contribution of the municipality's month.
CREATE INDEX contributions_waits ON contributions (municipality_id, at) INCLUDE (sample) WHERE measure = 'queue.wait';
