import type { Queryable } from "@kruzhok/postgres";
import type { AttendanceRules, RulesVersion } from "../domain/rules";

/** One kept version of a year's rules, with who set it and when. */
export interface RulesVersionRow extends RulesVersion {
  year: number;
  setAt: Date;
  setBy: string;
}

/** Every version the municipality set for `years`, in the order they were set. */
export async function rulesVersions(db: Queryable, municipalityId: string, years: readonly number[]): Promise<RulesVersionRow[]> {
  const { rows } = await db.query<RulesVersionRow>(
    `SELECT year, to_char(effective_from, 'YYYY-MM-DD') AS "effectiveFrom", rules, set_at AS "setAt", set_by AS "setBy"
       FROM attendance_rules WHERE municipality_id = $1 AND year = ANY($2::int[]) ORDER BY seq`,
    [municipalityId, years],
  );
  return rows;
}

/** A new version: earlier ones stay as they were. */
export async function addRulesVersion(db: Queryable, municipalityId: string, year: number, version: RulesVersion, setBy: string, now: Date): Promise<RulesVersionRow> {
  await db.query(`INSERT INTO attendance_rules (municipality_id, year, effective_from, rules, set_at, set_by) VALUES ($1, $2, $3, $4, $5, $6)`, [
    municipalityId,
    year,
    version.effectiveFrom,
    JSON.stringify(version.rules satisfies AttendanceRules),
    now,
    setBy,
  ]);
  return { ...version, year, setAt: now, setBy };
}
