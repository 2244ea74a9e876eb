import type { Queryable } from "@kruzhok/postgres";
import type { Cell, DaySum, WaitTimes } from "../domain/cells";

// Reads of the raw sums a release block is computed from, and the published cells.

export interface BlockPlace {
  id: string;
  timeZone: string;
}

/**
 * The municipalities of a region (created by `createdBy`, when given: a block counts those that
 * existed by its last day, so that a municipality created later adds no rows of zeros to months
 * published before it); for the region '' those whose region is not known yet (in UTC days).
 */
export async function municipalitiesOfRegion(tx: Queryable, regionCode: string, createdBy?: string): Promise<BlockPlace[]> {
  if (regionCode === "") {
    const { rows } = await tx.query<BlockPlace>(
      `SELECT DISTINCT c.municipality_id AS id, 'UTC' AS "timeZone" FROM contributions c
       WHERE NOT EXISTS (SELECT 1 FROM municipalities m WHERE m.municipality_id = c.municipality_id) ORDER BY 1`,
    );
    return rows;
  }
  const { rows } = await tx.query<BlockPlace>(
    `SELECT municipality_id AS id, time_zone AS "timeZone" FROM municipalities
     WHERE region_code = $1 AND ($2::date IS NULL OR (event_at AT TIME ZONE time_zone)::date <= $2::date) ORDER BY 1`,
    [regionCode, createdBy ?? null],
  );
  return rows;
}

/** The last day the region's cells were published for (null before its first). */
export async function publishedLastDay(tx: Queryable, regionCode: string): Promise<string | null> {
  const { rows } = await tx.query<{ day: string | null }>(
    `SELECT to_char(max(start), 'YYYY-MM-DD') AS day FROM published_cells WHERE region_code = $1 AND period = 'day'`,
    [regionCode],
  );
  return rows[0]?.day ?? null;
}

/** The last local day on which anything in these municipalities happened (one index probe each). */
export async function lastDayOf(tx: Queryable, places: readonly BlockPlace[]): Promise<string | null> {
  const { rows } = await tx.query<{ day: string | null }>(
    `SELECT to_char(max((last.at AT TIME ZONE z.tz)::date), 'YYYY-MM-DD') AS day
     FROM unnest($1::uuid[], $2::text[]) AS z(id, tz)
     CROSS JOIN LATERAL (SELECT max(c.at) AS at FROM contributions c WHERE c.municipality_id = z.id) AS last`,
    [places.map((p) => p.id), places.map((p) => p.timeZone)],
  );
  return rows[0]?.day ?? null;
}

/**
 * Fold the sum changes the consumers appended, as far as this transaction's snapshot sees them,
 * into the sums (the publisher, holding its lock, at the start of its round), so that they stay
 * few: those committed later are neither seen nor deleted, and wait for the next round. Reads
 * count the unfolded ones too (daySums), so nothing depends on when this runs.
 */
export async function foldSumChanges(tx: Queryable): Promise<void> {
  await tx.query(
    `WITH taken AS (DELETE FROM sum_changes RETURNING *)
     INSERT INTO contribution_sums (municipality_id, quarter, sum_key, measure, dims, group_id, birth_year, delta, rows)
     SELECT municipality_id, quarter, measure || '|' || dims::text || '|' || coalesce(group_id::text, '') || '|' || coalesce(birth_year::text, ''),
            measure, dims, group_id, birth_year, sum(delta), sum(rows)
     FROM taken GROUP BY municipality_id, quarter, measure, dims, group_id, birth_year
     ON CONFLICT (municipality_id, quarter, sum_key) DO UPDATE
       SET delta = contribution_sums.delta + EXCLUDED.delta, rows = contribution_sums.rows + EXCLUDED.rows`,
  );
}

/**
 * Contributions summed per local day up to `lastDay`; before `month` summed as one (day null).
 * From their sums per quarter hour and the changes not folded into them yet (foldSumChanges): a
 * breakdown is present when a contribution is behind it, as when the contributions themselves
 * were summed.
 */
export async function daySums(tx: Queryable, places: readonly BlockPlace[], month: string, lastDay: string): Promise<DaySum[]> {
  const { rows } = await tx.query<DaySum>(
    `WITH sums AS (
       SELECT municipality_id, quarter, measure, dims, group_id, birth_year, delta, rows FROM contribution_sums WHERE rows <> 0 OR delta <> 0
       UNION ALL
       SELECT municipality_id, quarter, measure, dims, group_id, birth_year, delta, rows FROM sum_changes
     ),
     placed AS (
       SELECT s.municipality_id, s.measure, s.dims, s.group_id, s.birth_year, s.delta, s.rows, (s.quarter AT TIME ZONE z.tz)::date AS day
       FROM unnest($1::uuid[], $2::text[]) AS z(id, tz) JOIN sums s ON s.municipality_id = z.id
     )
     SELECT municipality_id AS "municipalityId", measure, dims, group_id AS "groupId", birth_year AS "birthYear",
            CASE WHEN day < $3::date THEN NULL ELSE to_char(day, 'YYYY-MM-DD') END AS day, sum(delta)::float8 AS delta
     FROM placed WHERE day <= $4::date
     GROUP BY 1, 2, 3, 4, 5, 6
     HAVING sum(rows) > 0`,
    [places.map((p) => p.id), places.map((p) => p.timeZone), month, lastDay],
  );
  return rows;
}

/**
 * The waiting times of the block's days, per municipality and day, municipality and month, and
 * the region's day and month (GROUPING SETS): counts and percentiles computed here, not shipped
 * sample by sample (domain/cells.ts WaitTimes).
 */
export async function waitTimes(tx: Queryable, places: readonly BlockPlace[], month: string, lastDay: string): Promise<WaitTimes[]> {
  const { rows } = await tx.query<WaitTimes>(
    `WITH s AS (
       SELECT c.municipality_id AS m, (c.at AT TIME ZONE z.tz)::date AS day, c.sample
       FROM unnest($1::uuid[], $2::text[]) AS z(id, tz) JOIN contributions c ON c.municipality_id = z.id
       WHERE c.measure = 'queue.wait' AND (c.at AT TIME ZONE z.tz)::date BETWEEN $3::date AND $4::date
         -- The same days with a margin wider than any zone's offset, so the index bounds the read.
         AND c.at >= $3::date - interval '2 days' AND c.at < $4::date + interval '3 days'
     )
     SELECT CASE WHEN grouping(m) = 0 THEN m END AS "municipalityId",
            CASE WHEN grouping(day) = 0 THEN to_char(day, 'YYYY-MM-DD') END AS day,
            count(*)::int AS count,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY sample) AS median,
            percentile_cont(0.9) WITHIN GROUP (ORDER BY sample) AS p90
     FROM s GROUP BY GROUPING SETS ((m, day), (m), (day), ())
     HAVING count(*) > 0`,
    [places.map((p) => p.id), places.map((p) => p.timeZone), month, lastDay],
  );
  return rows;
}

/** The year's children 5-18 and budget (minor units) of each municipality that has them. */
export async function populationsOf(tx: Queryable, municipalityIds: readonly string[], year: number): Promise<{ population: Map<string, number>; budget: Map<string, number> }> {
  const { rows } = await tx.query<{ id: string; children: number; budget: number | null }>(
    // float8: a budget in minor units passes 2^31; a double holds it exactly below 2^53.
    "SELECT municipality_id AS id, children, budget::float8 AS budget FROM populations WHERE municipality_id = ANY($1::uuid[]) AND year = $2",
    [municipalityIds, year],
  );
  return {
    population: new Map(rows.map((row) => [row.id, row.children])),
    budget: new Map(rows.flatMap((row) => (row.budget === null ? [] : [[row.id, row.budget] as const]))),
  };
}

export async function groupsOf(tx: Queryable, groupIds: readonly string[]): Promise<Map<string, { direction: string; fundingKind: string }>> {
  if (groupIds.length === 0) return new Map();
  const { rows } = await tx.query<{ id: string; direction: string; fundingKind: string }>(
    `SELECT group_id AS id, direction, funding_kind AS "fundingKind" FROM groups WHERE group_id = ANY($1::uuid[])`,
    [groupIds],
  );
  return new Map(rows.map((row) => [row.id, { direction: row.direction, fundingKind: row.fundingKind }]));
}

export interface PublishedCell extends Cell {
  key: string;
}

const CELL_COLUMNS = `cell_key AS key, scope, municipality_id AS "municipalityId", region_code AS "regionCode", period,
  to_char(start, 'YYYY-MM-DD') AS start, measure, dims, value, suppressed`;

/** The published cells of a block: the region's own and its municipalities', in one month: its month cells and its days from `from` on. */
export async function publishedInBlock(tx: Queryable, regionCode: string, municipalityIds: readonly string[], month: string, from: string = month): Promise<Map<string, PublishedCell>> {
  const { rows } = await tx.query<PublishedCell>(
    `SELECT ${CELL_COLUMNS} FROM published_cells
     WHERE (region_code = $1 OR municipality_id = ANY($2::uuid[]))
       AND start >= $3::date AND start < ($3::date + interval '1 month')
       AND (period = 'month' OR start >= $4::date)`,
    [regionCode, municipalityIds, month, from],
  );
  return new Map(rows.map((row) => [row.key, row]));
}

/** A block as published: its last day, and the municipalities it has month cells of. */
export async function publishedBlock(tx: Queryable, regionCode: string, month: string): Promise<{ lastDay: string | null; municipalityIds: Set<string> }> {
  const { rows } = await tx.query<{ lastDay: string | null; ids: string[] | null }>(
    `SELECT (SELECT to_char(max(start), 'YYYY-MM-DD') FROM published_cells
             WHERE region_code = $1 AND period = 'day' AND start >= $2::date AND start < ($2::date + interval '1 month')) AS "lastDay",
            (SELECT array_agg(DISTINCT municipality_id) FROM published_cells
             WHERE region_code = $1 AND period = 'month' AND start = $2::date AND municipality_id IS NOT NULL) AS ids`,
    [regionCode, month],
  );
  return { lastDay: rows[0]?.lastDay ?? null, municipalityIds: new Set(rows[0]?.ids ?? []) };
}

/** The keys of a block's hidden day cells before `from`, as published. */
export async function hiddenDaysBefore(tx: Queryable, regionCode: string, month: string, from: string): Promise<string[]> {
  const { rows } = await tx.query<{ key: string }>(
    `SELECT cell_key AS key FROM published_cells
     WHERE region_code = $1 AND period = 'day' AND start >= $2::date AND start < $3::date AND suppressed ORDER BY cell_key`,
    [regionCode, month, from],
  );
  return rows.map((row) => row.key);
}

export async function writeCells(tx: Queryable, cells: readonly PublishedCell[]): Promise<void> {
  if (cells.length === 0) return;
  await tx.query(
    `INSERT INTO published_cells (cell_key, scope, municipality_id, region_code, period, start, measure, dims, value, suppressed, version)
     SELECT c.*, nextval('published_version')
     FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::date[], $7::text[], $8::jsonb[], $9::float8[], $10::boolean[]) AS c(cell_key, scope, municipality_id, region_code, period, start, measure, dims, value, suppressed)
     ON CONFLICT (cell_key) DO UPDATE SET municipality_id = EXCLUDED.municipality_id, region_code = EXCLUDED.region_code, value = EXCLUDED.value,
       suppressed = EXCLUDED.suppressed, version = EXCLUDED.version`,
    [
      cells.map((c) => c.key),
      cells.map((c) => c.scope),
      cells.map((c) => c.municipalityId),
      cells.map((c) => c.regionCode),
      cells.map((c) => c.period),
      cells.map((c) => c.start),
      cells.map((c) => c.measure),
      cells.map((c) => JSON.stringify(c.dims)),
      cells.map((c) => c.value),
      cells.map((c) => c.suppressed),
    ],
  );
}

export async function deleteCells(tx: Queryable, keys: readonly string[]): Promise<void> {
  if (keys.length > 0) await tx.query("DELETE FROM published_cells WHERE cell_key = ANY($1::text[])", [keys]);
}

export const CHANGES_CHANNEL = "statistics_cells";

/** Wakes the live streams of every process once this transaction commits. */
export async function notifyChanges(tx: Queryable): Promise<void> {
  await tx.query(`SELECT pg_notify('${CHANGES_CHANNEL}', '')`);
}

export interface CellFilter {
  /** Regions the reader may see (null: every region). */
  regionCodes: readonly string[] | null;
  /** One municipality only (its own cells, no region's). */
  municipalityId?: string;
  period?: "day" | "month";
  from?: string;
  to?: string;
  measure?: string;
  /** Changes after this version only. */
  afterVersion?: number;
}

export async function listCells(db: Queryable, filter: CellFilter): Promise<(PublishedCell & { version: number })[]> {
  const { rows } = await db.query<PublishedCell & { version: string }>(
    `SELECT ${CELL_COLUMNS}, version FROM published_cells
     WHERE region_code <> ''
       AND ($1::text[] IS NULL OR region_code = ANY($1::text[]))
       AND ($2::uuid IS NULL OR municipality_id = $2::uuid)
       AND ($3::text IS NULL OR period = $3::text)
       AND ($4::date IS NULL OR start >= $4::date)
       AND ($5::date IS NULL OR start <= $5::date)
       AND ($6::text IS NULL OR measure = $6::text)
       AND ($7::bigint IS NULL OR version > $7::bigint)
     ORDER BY ${filter.afterVersion === undefined ? "cell_key" : "version"}`,
    [filter.regionCodes, filter.municipalityId ?? null, filter.period ?? null, filter.from ?? null, filter.to ?? null, filter.measure ?? null, filter.afterVersion ?? null],
  );
  return rows.map((row) => ({ ...row, version: Number(row.version) }));
}

export async function latestVersion(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ version: string | null }>("SELECT max(version) AS version FROM published_cells");
  return Number(rows[0]?.version ?? 0);
}

/** The region of a municipality, for scoping a reader. */
export async function regionOfMunicipality(db: Queryable, municipalityId: string): Promise<string | null> {
  const { rows } = await db.query<{ regionCode: string }>("SELECT region_code AS \"regionCode\" FROM municipalities WHERE municipality_id = $1", [municipalityId]);
  return rows[0]?.regionCode ?? null;
}
