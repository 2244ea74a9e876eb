import type { Queryable } from "@kruzhok/postgres";

export type EndReason = "completed" | "withdrawn" | "expelled";

export interface EnrollmentRow {
  id: string;
  applicationId: string;
  municipalityId: string;
  groupId: string;
  programId: string;
  providerId: string;
  childId: string;
  status: "active" | "ended";
  startedAt: Date;
  endedAt: Date | null;
  endReason: EndReason | null;
  /** A transfer under way: the last day here (the group's zone), and the enrollment the child moves to. */
  leavesOn: string | null;
  leftFor: string | null;
  /** The provider's words when it expelled the child, and the family's answer to them. */
  endComment: string | null;
  familyAnswer: { text: string; at: Date; by: string } | null;
  contract: { id: string; method: "electronic" | "in_person"; signedBy: string; signedRole: string; signedAt: Date; terminatedAt: Date | null };
}

const columns = `e.id, e.application_id AS "applicationId", e.municipality_id AS "municipalityId", e.group_id AS "groupId",
  e.program_id AS "programId", e.provider_id AS "providerId", e.child_id AS "childId", e.status, e.started_at AS "startedAt",
  e.ended_at AS "endedAt", e.end_reason AS "endReason", to_char(e.leaves_on, 'YYYY-MM-DD') AS "leavesOn", e.left_for AS "leftFor",
  e.end_comment AS "endComment",
  CASE WHEN e.family_answer IS NULL THEN NULL ELSE json_build_object('text', e.family_answer, 'at', e.family_answered_at, 'by', e.family_answered_by) END AS "familyAnswer",
  json_build_object('id', c.id, 'method', c.method, 'signedBy', c.signed_by, 'signedRole', c.signed_role, 'signedAt', c.signed_at,
                    'terminatedAt', c.terminated_at) AS contract`;

export async function insertEnrollmentWithContract(
  db: Queryable,
  e: { id: string; applicationId: string; municipalityId: string; groupId: string; programId: string; providerId: string; childId: string },
  c: { id: string; offerId: string; method: "electronic" | "in_person"; signedBy: string; signedRole: string },
  now: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO enrollments (id, application_id, municipality_id, group_id, program_id, provider_id, child_id, status, started_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8)`,
    [e.id, e.applicationId, e.municipalityId, e.groupId, e.programId, e.providerId, e.childId, now],
  );
  await db.query(
    `INSERT INTO contracts (id, application_id, offer_id, enrollment_id, method, signed_by, signed_role, signed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [c.id, e.applicationId, c.offerId, e.id, c.method, c.signedBy, c.signedRole, now],
  );
}

/** The group's roster: its active enrollments, in the order they started. */
export async function rosterOfGroup(db: Queryable, groupId: string): Promise<EnrollmentRow[]> {
  const { rows } = await db.query<EnrollmentRow>(
    `SELECT ${columns} FROM enrollments e JOIN contracts c ON c.enrollment_id = e.id WHERE e.group_id = $1 AND e.status = 'active' ORDER BY e.started_at, e.id`,
    [groupId],
  );
  return rows;
}

export async function findEnrollment(db: Queryable, id: string, lock = false): Promise<EnrollmentRow | undefined> {
  const { rows } = await db.query<EnrollmentRow>(
    `SELECT ${columns} FROM enrollments e JOIN contracts c ON c.enrollment_id = e.id WHERE e.id = $1${lock ? " FOR UPDATE OF e" : ""}`,
    [id],
  );
  return rows[0];
}

export async function endEnrollment(db: Queryable, id: string, reason: EndReason, by: string, now: Date, comment: string | null = null): Promise<void> {
  await db.query("UPDATE enrollments SET status = 'ended', ended_at = $2, end_reason = $3, ended_by = $4, end_comment = $5 WHERE id = $1", [id, now, reason, by, comment]);
  await db.query("UPDATE contracts SET terminated_at = $2 WHERE enrollment_id = $1", [id, now]);
}

/** The child's active enrollments and their groups, in id order (the order they are locked in). */
export async function activeEnrollmentsOfChildById(db: Queryable, childId: string): Promise<{ id: string; groupId: string }[]> {
  const { rows } = await db.query<{ id: string; groupId: string }>(
    `SELECT id, group_id AS "groupId" FROM enrollments WHERE child_id = $1 AND status = 'active' ORDER BY id`,
    [childId],
  );
  return rows;
}

/** The ids of the group's active enrollments, in id order (the order they are locked in). */
export async function activeEnrollmentIdsOfGroup(db: Queryable, groupId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>("SELECT id FROM enrollments WHERE group_id = $1 AND status = 'active' ORDER BY id", [groupId]);
  return rows.map((r) => r.id);
}

/** Closed groups whose end date is over in their zone and that still have active enrollments. */
export async function closedGroupsPastEnd(db: Queryable, now: Date): Promise<string[]> {
  const { rows } = await db.query<{ groupId: string }>(
    `SELECT g.id AS "groupId" FROM groups g
      WHERE g.status = 'closed' AND g.ends_on < ($1::timestamptz AT TIME ZONE g.time_zone)::date
        AND EXISTS (SELECT 1 FROM enrollments e WHERE e.group_id = g.id AND e.status = 'active')
      ORDER BY 1`,
    [now],
  );
  return rows.map((r) => r.groupId);
}

/** The enrollment the child leaves for `leftFor` runs through `leavesOn`, then ends. */
export async function scheduleLeaving(db: Queryable, id: string, leavesOn: string, leftFor: string): Promise<void> {
  await db.query("UPDATE enrollments SET leaves_on = $2, left_for = $3 WHERE id = $1", [id, leavesOn, leftFor]);
}

/** The enrollment an application led to, if any. */
export async function enrollmentOfApplication(db: Queryable, applicationId: string): Promise<EnrollmentRow | undefined> {
  const { rows } = await db.query<EnrollmentRow>(`SELECT ${columns} FROM enrollments e JOIN contracts c ON c.enrollment_id = e.id WHERE e.application_id = $1`, [applicationId]);
  return rows[0];
}

/** Active enrollments whose last day before a transfer is over in their group's zone: the sweep ends them. */
export async function enrollmentsDueToLeave(db: Queryable, now: Date): Promise<{ id: string; childId: string; groupId: string }[]> {
  const { rows } = await db.query<{ id: string; childId: string; groupId: string }>(
    `SELECT e.id, e.child_id AS "childId", e.group_id AS "groupId" FROM enrollments e JOIN groups g ON g.id = e.group_id
      WHERE e.status = 'active' AND e.leaves_on IS NOT NULL AND e.leaves_on < ($1::timestamptz AT TIME ZONE g.time_zone)::date
      ORDER BY e.leaves_on, e.id`,
    [now],
  );
  return rows;
}

/** The family's answer to an expulsion's reasons (a later answer replaces an earlier one). */
export async function recordFamilyAnswer(db: Queryable, id: string, text: string, by: string, now: Date): Promise<void> {
  await db.query("UPDATE enrollments SET family_answer = $2, family_answered_at = $3, family_answered_by = $4 WHERE id = $1", [id, text, now, by]);
}
