import type { Queryable } from "@kruzhok/postgres";
import type { YearSettings, YearSettingsVersion } from "../domain/year-settings";

export interface MunicipalityRow {
  id: string;
  code: string;
  name: string;
  regionCode: string;
  timeZone: string;
  currency: "RUB" | "KZT";
}

const columns = `id, code, name, region_code AS "regionCode", time_zone AS "timeZone", currency`;

export async function insertMunicipality(db: Queryable, m: MunicipalityRow): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO municipalities (id, code, name, region_code, time_zone, currency)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO NOTHING`,
    [m.id, m.code, m.name, m.regionCode, m.timeZone, m.currency],
  );
  return result.rowCount === 1;
}

export async function findMunicipality(db: Queryable, id: string): Promise<MunicipalityRow | undefined> {
  const { rows } = await db.query<MunicipalityRow>(`SELECT ${columns} FROM municipalities WHERE id = $1`, [id]);
  return rows[0];
}

/** The region a municipality belongs to; undefined for an unknown municipality. */
export async function regionOfMunicipality(db: Queryable, id: string): Promise<string | undefined> {
  const { rows } = await db.query<{ regionCode: string }>(`SELECT region_code AS "regionCode" FROM municipalities WHERE id = $1`, [id]);
  return rows[0]?.regionCode;
}

export async function listMunicipalities(db: Queryable, regionCode?: string): Promise<MunicipalityRow[]> {
  const { rows } = await db.query<MunicipalityRow>(
    `SELECT ${columns} FROM municipalities WHERE ($1::text IS NULL OR region_code = $1) ORDER BY code`,
    [regionCode ?? null],
  );
  return rows;
}

export interface StoredYear extends YearSettings {
  financedCount: number;
}

/** One kept version of a year's settings, with who saved it and when. */
export interface YearVersionRow extends YearSettingsVersion {
  setAt: Date;
  setBy: string;
}

const versionColumns = `to_char(effective_from, 'YYYY-MM-DD') AS "effectiveFrom", set_at AS "setAt", set_by AS "setBy",
  json_build_object('year', year, 'nominal', nominal, 'budget', budget, 'financedCap', financed_cap,
    'childrenPopulation', children_population, 'categories', categories, 'maxOpenApplications', max_open_applications,
    'deadlines', deadlines) AS settings`;

/** Every version saved for a municipality's year, in the order they were saved. */
export async function yearVersions(db: Queryable, municipalityId: string, year: number): Promise<YearVersionRow[]> {
  const { rows } = await db.query<YearVersionRow>(
    `SELECT ${versionColumns} FROM municipality_year_versions WHERE municipality_id = $1 AND year = $2 ORDER BY seq`,
    [municipalityId, year],
  );
  // nominal and budget are bigint: json_build_object renders them as JSON numbers already.
  return rows;
}

/** The year's financed count; `forUpdate` locks the year's row (amendments and conversions queue on it). */
export async function financedCountOf(db: Queryable, municipalityId: string, year: number, forUpdate = false): Promise<number | undefined> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT financed_count AS n FROM municipality_years WHERE municipality_id = $1 AND year = $2${forUpdate ? " FOR UPDATE" : ""}`,
    [municipalityId, year],
  );
  return rows[0]?.n;
}

/**
 * The year's settings in force on a local date (the latest effective date not after it, ties by
 * the later save) with the year's financed count; undefined before any version took effect.
 */
export async function findYear(db: Queryable, municipalityId: string, year: number, on: string): Promise<StoredYear | undefined> {
  const { rows } = await db.query<{ settings: YearSettings; financedCount: number }>(
    `SELECT v.settings, coalesce(y.financed_count, 0) AS "financedCount"
       FROM (SELECT ${versionColumns} FROM municipality_year_versions
              WHERE municipality_id = $1 AND year = $2 AND effective_from <= $3::date
              ORDER BY effective_from DESC, seq DESC LIMIT 1) v
       LEFT JOIN municipality_years y ON y.municipality_id = $1 AND y.year = $2`,
    [municipalityId, year, on],
  );
  const row = rows[0];
  return row && { ...row.settings, financedCount: row.financedCount };
}

/** A new version of the year's settings (earlier ones stay as they were), and the year's counter row if it is new. */
export async function addYearVersion(db: Queryable, municipalityId: string, version: YearSettingsVersion, setBy: string, now: Date, announced: boolean): Promise<YearVersionRow> {
  const s = version.settings;
  await db.query(`INSERT INTO municipality_years (municipality_id, year) VALUES ($1, $2) ON CONFLICT (municipality_id, year) DO NOTHING`, [municipalityId, s.year]);
  await db.query(
    `INSERT INTO municipality_year_versions
       (municipality_id, year, effective_from, nominal, budget, financed_cap, children_population, categories, max_open_applications, deadlines, set_at, set_by, announced_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, CASE WHEN $13::boolean THEN $11::timestamptz END)`,
    [
      municipalityId,
      s.year,
      version.effectiveFrom,
      s.nominal,
      s.budget,
      s.financedCap,
      s.childrenPopulation,
      JSON.stringify(s.categories),
      s.maxOpenApplications,
      JSON.stringify(s.deadlines),
      now,
      setBy,
      announced,
    ],
  );
  return { ...version, setAt: now, setBy };
}

/** A saved version not announced yet whose date has come in its municipality's zone. */
export interface DueYearVersion {
  seq: string;
  municipalityId: string;
  currency: MunicipalityRow["currency"];
  effectiveFrom: string;
  settings: YearSettings;
}

/**
 * Versions whose effective date has come (local date in each municipality's zone at `now`), not
 * announced yet, oldest date first and in the order saved; marked announced in the caller's
 * transaction. One announcer at a time (a transaction-scoped advisory lock): two registries
 * sweeping at once could otherwise each take one of two versions of a day and write their events
 * in the wrong order, leaving the services with the earlier save.
 */
export async function claimDueYearVersions(db: Queryable, now: Date, limit: number): Promise<DueYearVersion[]> {
  await db.query(`SELECT pg_advisory_xact_lock(hashtext('registry.year-settings.announce'))`);
  const { rows } = await db.query<{
    seq: string;
    municipality_id: string;
    currency: MunicipalityRow["currency"];
    effective_from: string;
    year: number;
    nominal: string;
    budget: string;
    financed_cap: number;
    children_population: number;
    categories: YearSettings["categories"];
    max_open_applications: number;
    deadlines: YearSettings["deadlines"];
  }>(
    `WITH due AS (
       SELECT v.seq FROM municipality_year_versions v JOIN municipalities m ON m.id = v.municipality_id
        WHERE v.announced_at IS NULL AND v.effective_from <= ($1::timestamptz AT TIME ZONE m.time_zone)::date
        ORDER BY v.effective_from, v.seq LIMIT $2 FOR UPDATE OF v SKIP LOCKED)
     UPDATE municipality_year_versions v SET announced_at = $1 FROM due, municipalities m
      WHERE v.seq = due.seq AND m.id = v.municipality_id
      RETURNING v.seq::text, v.municipality_id, m.currency, to_char(v.effective_from, 'YYYY-MM-DD') AS effective_from, v.year, v.nominal::text, v.budget::text,
        v.financed_cap, v.children_population, v.categories, v.max_open_applications, v.deadlines`,
    [now, limit],
  );
  return rows
    .map((r) => ({
      seq: r.seq,
      municipalityId: r.municipality_id,
      currency: r.currency,
      effectiveFrom: r.effective_from,
      settings: {
        year: r.year,
        nominal: Number(r.nominal),
        budget: Number(r.budget),
        financedCap: r.financed_cap,
        childrenPopulation: r.children_population,
        categories: r.categories,
        maxOpenApplications: r.max_open_applications,
        deadlines: r.deadlines,
      },
    }))
    .sort((a, b) => (a.effectiveFrom < b.effectiveFrom ? -1 : a.effectiveFrom > b.effectiveFrom ? 1 : Number(a.seq) - Number(b.seq)));
}

/**
 * Take one financed place under the cap in force on `on` (local date): the year's row is locked
 * first, so concurrent conversions (and amendments) queue on it and stop exactly at the cap.
 * Returns the nominal in force, or undefined when the cap is reached or no settings are in force.
 */
export async function takeFinancedPlace(db: Queryable, municipalityId: string, year: number, on: string): Promise<number | undefined> {
  const count = await financedCountOf(db, municipalityId, year, true);
  if (count === undefined) return undefined;
  const inForce = await findYear(db, municipalityId, year, on);
  if (!inForce || count >= inForce.financedCap) return undefined;
  await db.query(`UPDATE municipality_years SET financed_count = financed_count + 1 WHERE municipality_id = $1 AND year = $2`, [municipalityId, year]);
  return inForce.nominal;
}

export async function releaseFinancedPlace(db: Queryable, municipalityId: string, year: number): Promise<void> {
  await db.query(
    `UPDATE municipality_years SET financed_count = financed_count - 1
      WHERE municipality_id = $1 AND year = $2 AND financed_count > 0`,
    [municipalityId, year],
  );
}
