import type { Queryable } from "@kruzhok/postgres";
import type { YearSettings } from "../domain/year-settings";

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

const yearColumns = `year, nominal, budget, financed_cap AS "financedCap", financed_count AS "financedCount",
  children_population AS "childrenPopulation", categories, max_open_applications AS "maxOpenApplications", deadlines`;

export async function findYear(db: Queryable, municipalityId: string, year: number, forUpdate = false): Promise<StoredYear | undefined> {
  const { rows } = await db.query<StoredYear>(
    `SELECT ${yearColumns} FROM municipality_years WHERE municipality_id = $1 AND year = $2${forUpdate ? " FOR UPDATE" : ""}`,
    [municipalityId, year],
  );
  return rows[0];
}

export async function upsertYear(db: Queryable, municipalityId: string, s: YearSettings): Promise<void> {
  await db.query(
    `INSERT INTO municipality_years
       (municipality_id, year, nominal, budget, financed_cap, children_population, categories, max_open_applications, deadlines)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (municipality_id, year) DO UPDATE SET
       nominal = EXCLUDED.nominal, budget = EXCLUDED.budget, financed_cap = EXCLUDED.financed_cap,
       children_population = EXCLUDED.children_population, categories = EXCLUDED.categories,
       max_open_applications = EXCLUDED.max_open_applications, deadlines = EXCLUDED.deadlines, updated_at = now()`,
    [
      municipalityId,
      s.year,
      s.nominal,
      s.budget,
      s.financedCap,
      s.childrenPopulation,
      JSON.stringify(s.categories),
      s.maxOpenApplications,
      JSON.stringify(s.deadlines),
    ],
  );
}

/**
 * Take one financed place under the year's cap, atomically: the conditional UPDATE makes
 * concurrent conversions queue on the row and stop exactly at the cap. Returns the nominal, or
 * undefined when the cap is reached or the year has no settings.
 */
export async function takeFinancedPlace(db: Queryable, municipalityId: string, year: number): Promise<number | undefined> {
  const { rows } = await db.query<{ nominal: number }>(
    `UPDATE municipality_years SET financed_count = financed_count + 1
      WHERE municipality_id = $1 AND year = $2 AND financed_count < financed_cap
      RETURNING nominal`,
    [municipalityId, year],
  );
  return rows[0]?.nominal;
}

export async function releaseFinancedPlace(db: Queryable, municipalityId: string, year: number): Promise<void> {
  await db.query(
    `UPDATE municipality_years SET financed_count = financed_count - 1
      WHERE municipality_id = $1 AND year = $2 AND financed_count > 0`,
    [municipalityId, year],
  );
}
