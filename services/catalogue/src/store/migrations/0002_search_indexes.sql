-- The navigator at 100,000 programs (issue #5's benchmark, test/bench/catalogue). A program row
-- is wide (description, tsvector, teachers: ~4 to an 8 kB page), so every match the indexes
-- could not decide cost a heap page; these let the common searches decide in the index.
-- None of them covers free_seats or ratings, so seat and review updates stay HOT.

-- Text within a municipality: the GIN index finds the municipality's matches itself instead of
-- every municipality's and then filtering heap rows (a third of the heap pages at three).
-- btree_gin is a trusted extension (PG 13+), as cube and earthdistance are.
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE INDEX programs_listed_text_by_municipality ON programs USING gin (municipality_id, search_tsv)
  WHERE status = 'published' AND provider_approved;
DROP INDEX programs_listed_text;

-- Near a point and within a radius: cube's GiST opclass has no compress function, so it
-- supports index-only scans; with the filter columns included, nearest-first pages and radius
-- facets read the index alone.
CREATE INDEX programs_listed_geo_covering ON programs USING gist (geo) INCLUDE (id, municipality_id, direction, funding_kind, age_min, age_max)
  WHERE status = 'published' AND provider_approved;
DROP INDEX programs_listed_geo;

-- A municipality's programs in id order (the default order, and its pages), and the programs a
-- weekday/time filter found joined back by id for the facets, from the index alone.
CREATE INDEX programs_listed_by_municipality ON programs (municipality_id, id) INCLUDE (direction, funding_kind, age_min, age_max)
  WHERE status = 'published' AND provider_approved;
