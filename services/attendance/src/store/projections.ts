import type { LessonKind } from "@kruzhok/contracts";
import type { Queryable } from "@kruzhok/postgres";
import type { EnrollmentSpan } from "../domain/roster";
import type { GroupPlan, Slot } from "../domain/schedule";

// Projections: local copies of what other services announce (the registry's municipalities and
// children's guardians, the catalogue's groups, enrollment's enrollments). Written only by the use
// cases of usecases/projections.ts, as the consumers hand them the events.

export interface MunicipalityRow {
  id: string;
  regionCode: string;
  timeZone: string;
  currency: "RUB" | "KZT";
}

export async function upsertMunicipality(db: Queryable, m: MunicipalityRow): Promise<void> {
  await db.query(
    `INSERT INTO municipalities (id, region_code, time_zone, currency) VALUES ($1, $2, $3, $4)
     ON CONFLICT (id) DO UPDATE SET region_code = EXCLUDED.region_code, time_zone = EXCLUDED.time_zone, currency = EXCLUDED.currency`,
    [m.id, m.regionCode, m.timeZone, m.currency],
  );
}

export async function findMunicipality(db: Queryable, id: string): Promise<MunicipalityRow | undefined> {
  const { rows } = await db.query<MunicipalityRow>(
    `SELECT id, region_code AS "regionCode", time_zone AS "timeZone", currency FROM municipalities WHERE id = $1`,
    [id],
  );
  return rows[0];
}

export async function listMunicipalities(db: Queryable): Promise<MunicipalityRow[]> {
  const { rows } = await db.query<MunicipalityRow>(`SELECT id, region_code AS "regionCode", time_zone AS "timeZone", currency FROM municipalities ORDER BY id`);
  return rows;
}

export interface GroupSnapshot {
  id: string;
  municipalityId: string;
  providerId: string;
  programId: string;
  timeZone: string;
  slots: Slot[];
  startsOn: string;
  endsOn: string;
  exceptions: { date: string }[];
}

/** A newer snapshot replaces the group's plan; an older one (out of order) changes nothing. */
export async function upsertGroup(db: Queryable, g: GroupSnapshot, asOf: Date): Promise<void> {
  await db.query(
    `INSERT INTO groups (id, municipality_id, provider_id, program_id, time_zone, slots, starts_on, ends_on, exceptions, as_of)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (id) DO UPDATE SET municipality_id = EXCLUDED.municipality_id, provider_id = EXCLUDED.provider_id,
       program_id = EXCLUDED.program_id, time_zone = EXCLUDED.time_zone, slots = EXCLUDED.slots, starts_on = EXCLUDED.starts_on,
       ends_on = EXCLUDED.ends_on, exceptions = EXCLUDED.exceptions, as_of = EXCLUDED.as_of
     WHERE groups.as_of <= EXCLUDED.as_of`,
    [g.id, g.municipalityId, g.providerId, g.programId, g.timeZone, JSON.stringify(g.slots), g.startsOn, g.endsOn, JSON.stringify(g.exceptions), asOf],
  );
}

/** The group closed at `at` (the earliest closing heard of is kept). Unknown groups are left for their snapshot. */
export async function markGroupClosed(db: Queryable, groupId: string, at: Date): Promise<void> {
  await db.query(`UPDATE groups SET closed_at = LEAST(coalesce(closed_at, $2), $2) WHERE id = $1`, [groupId, at]);
}

export async function setGroupKind(db: Queryable, groupId: string, kind: LessonKind): Promise<void> {
  await db.query(`UPDATE groups SET kind = $2 WHERE id = $1`, [groupId, kind]);
}

export type GroupRow = Omit<GroupPlan, "closedOn"> & { closedAt: Date | null };

const groupColumns = `id, municipality_id AS "municipalityId", provider_id AS "providerId", program_id AS "programId",
  time_zone AS "timeZone", slots, to_char(starts_on, 'YYYY-MM-DD') AS "startsOn", to_char(ends_on, 'YYYY-MM-DD') AS "endsOn",
  exceptions, kind, closed_at AS "closedAt"`;

export async function findGroup(db: Queryable, id: string, lock = false): Promise<GroupRow | undefined> {
  const { rows } = await db.query<GroupRow>(`SELECT ${groupColumns} FROM groups WHERE id = $1${lock ? " FOR UPDATE" : ""}`, [id]);
  return rows[0];
}

export async function groupsOfMunicipality(db: Queryable, municipalityId: string): Promise<GroupRow[]> {
  const { rows } = await db.query<GroupRow>(`SELECT ${groupColumns} FROM groups WHERE municipality_id = $1`, [municipalityId]);
  return rows;
}

export async function findEnrollment(db: Queryable, id: string, lock = false): Promise<(EnrollmentSpan & { municipalityId: string }) | undefined> {
  const { rows } = await db.query<EnrollmentSpan & { municipalityId: string }>(
    `SELECT id, municipality_id AS "municipalityId", group_id AS "groupId", child_id AS "childId", started_at AS "startedAt", ended_at AS "endedAt"
     FROM enrollments WHERE id = $1${lock ? " FOR UPDATE" : ""}`,
    [id],
  );
  return rows[0];
}

/** LEAST ignores nulls: the earliest start and end heard of stay, whoever writes concurrently (as domain/roster.ts decides). */
export async function saveEnrollment(
  db: Queryable,
  e: { id: string; municipalityId: string; groupId: string; programId: string; childId: string; startedAt: Date | null; endedAt: Date | null; endReason: string | null },
): Promise<void> {
  await db.query(
    `INSERT INTO enrollments (id, municipality_id, group_id, program_id, child_id, started_at, ended_at, end_reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (id) DO UPDATE SET started_at = LEAST(enrollments.started_at, EXCLUDED.started_at), ended_at = LEAST(enrollments.ended_at, EXCLUDED.ended_at),
       end_reason = coalesce(enrollments.end_reason, EXCLUDED.end_reason)`,
    [e.id, e.municipalityId, e.groupId, e.programId, e.childId, e.startedAt, e.endedAt, e.endReason],
  );
}

/** Every enrollment of the group (the roster on a date is decided from their spans). */
export async function enrollmentsOfGroup(db: Queryable, groupId: string): Promise<EnrollmentSpan[]> {
  const { rows } = await db.query<EnrollmentSpan>(
    `SELECT id, child_id AS "childId", group_id AS "groupId", started_at AS "startedAt", ended_at AS "endedAt" FROM enrollments WHERE group_id = $1`,
    [groupId],
  );
  return rows;
}

export async function enrollmentsOfChild(db: Queryable, childId: string): Promise<(EnrollmentSpan & { municipalityId: string })[]> {
  const { rows } = await db.query<EnrollmentSpan & { municipalityId: string }>(
    `SELECT id, municipality_id AS "municipalityId", child_id AS "childId", group_id AS "groupId", started_at AS "startedAt", ended_at AS "endedAt"
     FROM enrollments WHERE child_id = $1`,
    [childId],
  );
  return rows;
}

export async function addChildGuardians(db: Queryable, childId: string, guardianIds: readonly string[]): Promise<void> {
  if (guardianIds.length === 0) return;
  await db.query(`INSERT INTO child_guardians (child_id, guardian_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`, [childId, guardianIds]);
}

export async function isGuardianOf(db: Queryable, guardianId: string, childId: string): Promise<boolean> {
  const { rowCount } = await db.query(`SELECT 1 FROM child_guardians WHERE child_id = $1 AND guardian_id = $2`, [childId, guardianId]);
  return (rowCount ?? 0) > 0;
}
