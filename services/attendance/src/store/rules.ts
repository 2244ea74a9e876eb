import type { Queryable } from "@kruzhok/postgres";
import type { AttendanceRules } from "../domain/rules";

/** The rules the municipality set for `year`, if it did. */
export async function findRules(db: Queryable, municipalityId: string, year: number): Promise<AttendanceRules | undefined> {
  const { rows } = await db.query<{ rules: AttendanceRules }>(`SELECT rules FROM attendance_rules WHERE municipality_id = $1 AND year = $2`, [municipalityId, year]);
  return rows[0]?.rules;
}

export async function saveRules(db: Queryable, municipalityId: string, year: number, rules: AttendanceRules, now: Date): Promise<void> {
  await db.query(
    `INSERT INTO attendance_rules (municipality_id, year, rules, updated_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (municipality_id, year) DO UPDATE SET rules = EXCLUDED.rules, updated_at = EXCLUDED.updated_at`,
    [municipalityId, year, JSON.stringify(rules), now],
  );
}
