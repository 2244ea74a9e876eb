import type { Queryable } from "@kruzhok/postgres";

/** Certificates funded in `year - 1` that the new year `year` has not reached yet. */
export async function certificatesToRoll(db: Queryable, municipalityId: string, year: number, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT f.certificate_id AS id FROM financing_requests f
      WHERE f.municipality_id = $1 AND f.year = $2 - 1 AND f.status = 'committed'
        AND NOT EXISTS (SELECT 1 FROM year_rollovers r WHERE r.certificate_id = f.certificate_id AND r.year = $2)
      ORDER BY f.certificate_id LIMIT $3`,
    [municipalityId, year, limit],
  );
  return rows.map((r) => r.id);
}

/** Claim the certificate's new year; false when it was claimed before (by this run or another). */
export async function claimRollover(db: Queryable, certificateId: string, year: number, now: Date): Promise<boolean> {
  const { rowCount } = await db.query(`INSERT INTO year_rollovers (certificate_id, year, rolled_at, returned) VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING`, [certificateId, year, now]);
  return rowCount === 1;
}

export async function noteReturned(db: Queryable, certificateId: string, year: number, returned: number): Promise<void> {
  await db.query(`UPDATE year_rollovers SET returned = $3 WHERE certificate_id = $1 AND year = $2`, [certificateId, year, returned]);
}

/** More of the old year returned after the roll (what December's bill left of a reservation). */
export async function addReturned(db: Queryable, certificateId: string, year: number, returned: number): Promise<void> {
  await db.query(`UPDATE year_rollovers SET returned = returned + $3 WHERE certificate_id = $1 AND year = $2`, [certificateId, year, returned]);
}

/** Whether the certificate was financed in the year before `year` and has not been rolled into `year`. */
export async function rolloverDue(db: Queryable, certificateId: string, year: number): Promise<boolean> {
  const { rows } = await db.query<{ due: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM financing_requests f WHERE f.certificate_id = $1 AND f.year = $2 - 1 AND f.status = 'committed')
        AND NOT EXISTS (SELECT 1 FROM year_rollovers r WHERE r.certificate_id = $1 AND r.year = $2) AS due`,
    [certificateId, year],
  );
  return rows[0]?.due ?? false;
}
