-- Searches are short queries over one municipality, many at once. Postgres planned some of them
-- (weekday and time window, its facet counts) with parallel workers: starting the workers took
-- ~40 ms of a 55 ms query, and their CPU was taken from the other searches running at the same
-- time. At Moscow's scale with fresh parameters (BENCHMARKS.md, issue #20) turning them off took
-- searches with fresh parameters from 273 to 441-460 /s, p95 from 119 to 77 ms, and Postgres CPU
-- per search from 4.4 to 3.2-3.4 ms. The catalogue runs no query that a parallel plan would serve better (no report
-- scans a whole table), so its database's sessions never plan one.
DO $$
BEGIN
  EXECUTE format('ALTER DATABASE %I SET max_parallel_workers_per_gather = 0', current_database());
END
$$;
-- The session that migrates is the pool's too: it stops planning them now, not after a restart.
SET max_parallel_workers_per_gather = 0;
