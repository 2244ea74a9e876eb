import type { Queryable } from "@kruzhok/postgres";

// What the catalogue's sweep finds: groups past their last day, certifications about to run out,
// each by the municipality's local date. Rows are locked and skipped by a
// concurrent sweep.

export interface EndedGroup {
  groupId: string;
  programId: string;
  providerId: string;
  municipalityId: string;
  programStatus: string;
}

/** Open groups whose last day is over in their municipality's zone. */
export async function endedGroups(db: Queryable, now: Date, limit: number): Promise<EndedGroup[]> {
  const { rows } = await db.query<EndedGroup>(
    `SELECT g.id AS "groupId", g.program_id AS "programId", p.provider_id AS "providerId", p.municipality_id AS "municipalityId", p.status AS "programStatus"
       FROM groups g JOIN programs p ON p.id = g.program_id JOIN municipalities m ON m.id = p.municipality_id
      WHERE g.status = 'open' AND g.ends_on < ($1::timestamptz AT TIME ZONE m.time_zone)::date
        AND g.ends_on < ($1::timestamptz AT TIME ZONE 'UTC')::date + 1
      ORDER BY g.ends_on, g.id
      LIMIT $2 FOR UPDATE OF g SKIP LOCKED`,
    [now, limit],
  );
  return rows;
}

export interface ExpiringCertification {
  programId: string;
  providerId: string;
  municipalityId: string;
  expiresOn: string;
  today: string;
}

/** Published financed programs whose certification's last day is within `days` of the local today, not warned of for this expiry yet. */
export async function certificationsToWarn(db: Queryable, now: Date, days: number, limit: number): Promise<ExpiringCertification[]> {
  const local = `($1::timestamptz AT TIME ZONE m.time_zone)::date`;
  const { rows } = await db.query<ExpiringCertification>(
    `SELECT p.id AS "programId", p.provider_id AS "providerId", p.municipality_id AS "municipalityId",
            to_char(p.certification_expiry, 'YYYY-MM-DD') AS "expiresOn", to_char(${local}, 'YYYY-MM-DD') AS today
       FROM programs p JOIN municipalities m ON m.id = p.municipality_id
      WHERE p.funding_kind = 'financed' AND p.status = 'published'
        AND p.certification_warned_for IS DISTINCT FROM p.certification_expiry
        AND p.certification_expiry - $2::int <= ${local} AND p.certification_expiry >= ${local}
      ORDER BY p.certification_expiry, p.id
      LIMIT $3 FOR UPDATE OF p SKIP LOCKED`,
    [now, days, limit],
  );
  return rows;
}

export async function markWarned(db: Queryable, programIds: readonly string[]): Promise<void> {
  if (programIds.length === 0) return;
  await db.query(`UPDATE programs SET certification_warned_for = certification_expiry WHERE id = ANY($1::uuid[])`, [programIds]);
}
