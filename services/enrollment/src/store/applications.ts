import type { Queryable } from "@kruzhok/postgres";
import type { ActiveEnrollment } from "../domain/application";
import type { QueueKey } from "../domain/queue";

export const QUEUE_STATUSES = ["awaiting_financing", "queued"] as const;
export const OPEN_STATUSES = ["awaiting_financing", "queued", "offered"] as const;

export type ApplicationStatus =
  | "awaiting_financing"
  | "queued"
  | "offered"
  | "enrolled"
  | "refused"
  | "rejected"
  | "withdrawn"
  | "declined"
  | "expired";
export type ReviewState = "pending" | "confirmed" | "rejected" | "auto_confirmed";

export interface ApplicationRow {
  id: string;
  municipalityId: string;
  groupId: string;
  programId: string;
  providerId: string;
  childId: string;
  certificateId: string;
  guardianId: string | null;
  submittedBy: string;
  /** provider: a family that walked in, enrolled at the provider's desk (usecases/walk-ins.ts). */
  submittedRole: "guardian" | "operator" | "provider";
  status: ApplicationStatus;
  review: ReviewState;
  reviewDueAt: Date;
  categoryCode: string | null;
  categoryRank: number;
  acceptedAt: Date;
  /** Microseconds since the epoch: the queue key's second part, exact (a Date holds milliseconds). */
  acceptedAtMicros: number;
  /** ISO 8601 with the microseconds. */
  acceptedAtText: string;
  refusalCode: string | null;
  refusalDetail: string | null;
  /** A transfer: the active enrollment the child leaves when this application's enrollment starts. */
  transferOf: string | null;
  createdAt: Date;
}

const columns = `id, municipality_id AS "municipalityId", group_id AS "groupId", program_id AS "programId", provider_id AS "providerId",
  child_id AS "childId", certificate_id AS "certificateId", guardian_id AS "guardianId", submitted_by AS "submittedBy",
  submitted_role AS "submittedRole", status, review, review_due_at AS "reviewDueAt", category_code AS "categoryCode",
  category_rank AS "categoryRank", accepted_at AS "acceptedAt",
  (extract(epoch FROM accepted_at) * 1000000)::bigint AS "acceptedAtMicros",
  to_char(accepted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "acceptedAtText",
  refusal_code AS "refusalCode", refusal_detail AS "refusalDetail", transfer_of AS "transferOf", created_at AS "createdAt"`;
/** The columns of an `ApplicationRow`, for the statements of store/submission.ts. */
export const applicationColumns = columns;

/**
 * The lock that orders a group's queue. Every transaction that changes the queue or the seats
 * of a group takes it before any row lock (a submission takes it last, after the child's row,
 * and holds no other row anyone waits for), so there is no deadlock; it is released at COMMIT.
 */
export async function lockGroupQueue(db: Queryable, groupId: string): Promise<void> {
  await db.query("SELECT pg_advisory_xact_lock(hashtextextended('enrollment.queue:' || $1, 0))", [groupId]);
}

/** The group's queue lock if nobody holds it now (until COMMIT); false otherwise. */
export async function tryLockGroupQueue(db: Queryable, groupId: string): Promise<boolean> {
  const { rows } = await db.query<{ locked: boolean }>("SELECT pg_try_advisory_xact_lock(hashtextextended('enrollment.queue:' || $1, 0)) AS locked", [groupId]);
  return rows[0]?.locked === true;
}

/** Several groups' locks, in one order so two transactions never wait on each other. */
export async function lockGroupQueues(db: Queryable, groupIds: readonly string[]): Promise<void> {
  for (const id of [...new Set(groupIds)].sort()) await lockGroupQueue(db, id);
}

/** The group's Redis index is behind: the syncer copies its queue over. */
export async function markQueueDirty(db: Queryable, groupId: string): Promise<void> {
  await db.query(
    `INSERT INTO queue_dirty (group_id, version) VALUES ($1, 1)
     ON CONFLICT (group_id) DO UPDATE SET version = queue_dirty.version + 1`,
    [groupId],
  );
}

/** What a submission writes; the database adds the rest (accepted-at, review state, timestamps). */
export type NewApplicationRow = Pick<
  ApplicationRow,
  | "id"
  | "municipalityId"
  | "groupId"
  | "programId"
  | "providerId"
  | "childId"
  | "certificateId"
  | "guardianId"
  | "submittedBy"
  | "submittedRole"
  | "reviewDueAt"
  | "categoryCode"
  | "categoryRank"
  | "transferOf"
> & {
  status: "awaiting_financing" | "queued";
  conversionRequestId: string | null;
};

export async function findApplication(db: Queryable, id: string, lock = false): Promise<ApplicationRow | undefined> {
  const { rows } = await db.query<ApplicationRow>(`SELECT ${columns} FROM applications WHERE id = $1${lock ? " FOR UPDATE" : ""}`, [id]);
  return rows[0];
}

/** A page of the applications to a provider's groups (of one group, in one status, if asked), in the order they came (ids are time-ordered). */
export async function applicationsOfProvider(
  db: Queryable,
  providerId: string,
  page: { groupId?: string | undefined; status?: ApplicationStatus | undefined; after?: string | undefined; limit: number },
): Promise<ApplicationRow[]> {
  const { rows } = await db.query<ApplicationRow>(
    `SELECT ${columns} FROM applications
      WHERE provider_id = $1 AND ($2::uuid IS NULL OR group_id = $2) AND ($3::text IS NULL OR status = $3) AND ($4::uuid IS NULL OR id > $4)
      ORDER BY id LIMIT $5`,
    [providerId, page.groupId ?? null, page.status ?? null, page.after ?? null, page.limit],
  );
  return rows;
}

export async function listApplicationsOfChild(db: Queryable, childId: string): Promise<ApplicationRow[]> {
  const { rows } = await db.query<ApplicationRow>(`SELECT ${columns} FROM applications WHERE child_id = $1 ORDER BY created_at DESC, id`, [childId]);
  return rows;
}

export async function activeEnrollmentsOfChild(db: Queryable, childId: string): Promise<ActiveEnrollment[]> {
  const { rows } = await db.query<ActiveEnrollment>(
    `SELECT e.id, e.group_id AS "groupId", e.program_id AS "programId", to_char(g.starts_on, 'YYYY-MM-DD') AS "startsOn", to_char(g.ends_on, 'YYYY-MM-DD') AS "endsOn", g.slots
       FROM enrollments e JOIN groups g ON g.id = e.group_id WHERE e.child_id = $1 AND e.status = 'active'`,
    [childId],
  );
  return rows;
}

/** The guardian who applied for the enrollment (null when an operator applied for the family). */
export async function guardianOfEnrollment(db: Queryable, enrollmentId: string): Promise<string | null> {
  const { rows } = await db.query<{ guardianId: string | null }>(
    `SELECT a.guardian_id AS "guardianId" FROM enrollments e JOIN applications a ON a.id = e.application_id WHERE e.id = $1`,
    [enrollmentId],
  );
  return rows[0]?.guardianId ?? null;
}

/** An application and the group whose queue it is in: what a change of several takes the queue locks of. */
export interface ApplicationInGroup {
  id: string;
  groupId: string;
}

/** The municipality's applications waiting in a queue (a new category order moves them), in id order. */
export async function waitingApplicationsOfMunicipality(db: Queryable, municipalityId: string): Promise<ApplicationInGroup[]> {
  const { rows } = await db.query<ApplicationInGroup>(
    `SELECT id, group_id AS "groupId" FROM applications WHERE municipality_id = $1 AND status = ANY($2) ORDER BY id`,
    [municipalityId, QUEUE_STATUSES],
  );
  return rows;
}

/** The child's applications waiting in a queue. */
export async function waitingApplicationsOfChild(db: Queryable, childId: string): Promise<ApplicationInGroup[]> {
  const { rows } = await db.query<ApplicationInGroup>(`SELECT id, group_id AS "groupId" FROM applications WHERE child_id = $1 AND status = ANY($2)`, [
    childId,
    QUEUE_STATUSES,
  ]);
  return rows;
}

/** The certificate's applications still waiting for the registry's answer to a financing request. */
export async function applicationsAwaitingFinancing(db: Queryable, certificateId: string): Promise<ApplicationInGroup[]> {
  const { rows } = await db.query<ApplicationInGroup>(
    `SELECT id, group_id AS "groupId" FROM applications WHERE certificate_id = $1 AND status = 'awaiting_financing'`,
    [certificateId],
  );
  return rows;
}

/** The certificate's open applications (waiting or offered). */
export async function openApplicationsOfCertificate(db: Queryable, certificateId: string): Promise<ApplicationInGroup[]> {
  const { rows } = await db.query<ApplicationInGroup>(`SELECT id, group_id AS "groupId" FROM applications WHERE certificate_id = $1 AND status = ANY($2)`, [
    certificateId,
    OPEN_STATUSES,
  ]);
  return rows;
}

/** The group's open applications (waiting or offered), in id order. */
export async function openApplicationsOfGroup(db: Queryable, groupId: string): Promise<ApplicationInGroup[]> {
  const { rows } = await db.query<ApplicationInGroup>(
    `SELECT id, group_id AS "groupId" FROM applications WHERE group_id = $1 AND status = ANY($2) ORDER BY id`,
    [groupId, OPEN_STATUSES],
  );
  return rows;
}

/** Lock and return the ids of the group's waiting applications whose provider review is overdue at `now`. */
export async function overdueReviewsOfGroup(db: Queryable, groupId: string, now: Date): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM applications WHERE group_id = $1 AND review = 'pending' AND status = ANY($2) AND review_due_at <= $3 ORDER BY id FOR UPDATE`,
    [groupId, QUEUE_STATUSES, now],
  );
  return rows.map((r) => r.id);
}

/** Groups with a waiting application whose provider review is overdue at `now`. */
export async function groupsWithOverdueReviews(db: Queryable, now: Date): Promise<string[]> {
  const { rows } = await db.query<{ groupId: string }>(
    `SELECT DISTINCT group_id AS "groupId" FROM applications
      WHERE review = 'pending' AND status = ANY($2) AND review_due_at <= $1 ORDER BY 1`,
    [now, QUEUE_STATUSES],
  );
  return rows.map((r) => r.groupId);
}

/**
 * Children with a waiting application whose ranking category is no longer the best one in force
 * on today's local date of the municipality: its proof ran out, or a better category's validity
 * began.
 */
export async function childrenWithCategoryChangesOn(db: Queryable, now: Date): Promise<string[]> {
  const { rows } = await db.query<{ childId: string }>(
    `WITH waiting AS (
       SELECT DISTINCT a.child_id, a.category_code, a.category_rank, a.municipality_id,
              (($1::timestamptz) AT TIME ZONE m.time_zone)::date AS today
         FROM applications a JOIN municipalities m ON m.id = a.municipality_id
        WHERE a.status IN ('awaiting_financing', 'queued')
     ),
     best AS (
       SELECT w.child_id, w.category_code, w.category_rank,
              (SELECT min(array_position(y.categories, k.code)) - 1
                 FROM child_categories k
                 JOIN LATERAL (SELECT categories FROM municipality_years
                                WHERE municipality_id = w.municipality_id AND year <= extract(year FROM w.today)
                                ORDER BY year DESC LIMIT 1) y ON true
                WHERE k.child_id = w.child_id AND array_position(y.categories, k.code) IS NOT NULL
                  AND (k.valid_from IS NULL OR k.valid_from <= w.today) AND (k.valid_until IS NULL OR k.valid_until >= w.today)) AS best_rank
         FROM waiting w
     )
     SELECT DISTINCT child_id AS "childId" FROM best
      WHERE (category_code IS NULL AND best_rank IS NOT NULL)
         OR (category_code IS NOT NULL AND (best_rank IS NULL OR best_rank <> category_rank))
      ORDER BY 1`,
    [now],
  );
  return rows.map((r) => r.childId);
}

/** The application's place in its category order: a re-rank. */
export async function setCategory(db: Queryable, id: string, category: { code: string | null; rank: number }, now: Date): Promise<void> {
  await db.query("UPDATE applications SET category_code = $2, category_rank = $3, updated_at = $4 WHERE id = $1", [id, category.code, category.rank, now]);
}

export async function setApplicationStatus(
  db: Queryable,
  id: string,
  change: { status?: ApplicationStatus; review?: ReviewState; refusalCode?: string; refusalDetail?: string },
  now: Date,
): Promise<void> {
  await db.query(
    `UPDATE applications SET status = coalesce($2, status), review = coalesce($3, review), refusal_code = coalesce($4, refusal_code),
            refusal_detail = coalesce($5, refusal_detail), updated_at = $6 WHERE id = $1`,
    [id, change.status ?? null, change.review ?? null, change.refusalCode ?? null, change.refusalDetail ?? null, now],
  );
}

/** The group's queue in order (Postgres, the truth): the first `limit` entries. */
export async function queueOf(db: Queryable, groupId: string, limit = 1_000_000): Promise<ApplicationRow[]> {
  const { rows } = await db.query<ApplicationRow>(
    `SELECT ${columns} FROM applications WHERE group_id = $1 AND status = ANY($2)
      ORDER BY category_rank, accepted_at, id LIMIT $3`,
    [groupId, QUEUE_STATUSES, limit],
  );
  return rows;
}

/** The queue's applications ready for a seat or for the provider's review (not waiting for financing), in queue order. */
export async function queueWithoutFinancingWaits(db: Queryable, groupId: string, limit: number): Promise<ApplicationRow[]> {
  const { rows } = await db.query<ApplicationRow>(
    `SELECT ${columns} FROM applications WHERE group_id = $1 AND status = 'queued' ORDER BY category_rank, accepted_at, id LIMIT $2`,
    [groupId, limit],
  );
  return rows;
}

/**
 * Applications waiting for financing ahead of `passedBy` in the group's queue whose family has not
 * been told that a seat passed them; marked told.
 */
export async function markPassedWhileFinancing(db: Queryable, groupId: string, passedBy: Pick<ApplicationRow, "id">, now: Date): Promise<ApplicationRow[]> {
  const marked = await db.query<{ id: string }>(
    `UPDATE applications a SET financing_passed_at = $3
       FROM applications b
      WHERE b.id = $2 AND a.group_id = $1 AND a.status = 'awaiting_financing' AND a.financing_passed_at IS NULL
        AND (a.category_rank, a.accepted_at, a.id) < (b.category_rank, b.accepted_at, b.id)
      RETURNING a.id`,
    [groupId, passedBy.id, now],
  );
  if (marked.rows.length === 0) return [];
  const { rows } = await db.query<ApplicationRow>(`SELECT ${columns} FROM applications WHERE id = ANY($1::uuid[]) ORDER BY category_rank, accepted_at, id`, [
    marked.rows.map((r) => r.id),
  ]);
  return rows;
}

/** Only the keys of the queue, in order: what the Redis index is built from. */
export async function queueKeysOf(db: Queryable, groupId: string): Promise<QueueKey[]> {
  const { rows } = await db.query<QueueKey>(
    `SELECT category_rank AS "categoryRank", (extract(epoch FROM accepted_at) * 1000000)::bigint AS "acceptedAtMicros", id::text AS "applicationId"
       FROM applications WHERE group_id = $1 AND status = ANY($2) ORDER BY category_rank, accepted_at, id`,
    [groupId, QUEUE_STATUSES],
  );
  return rows;
}

/** Position in Postgres (1-based) with the counts a guardian sees: the fallback and the tests' truth. */
export async function positionInPostgres(db: Queryable, a: Pick<ApplicationRow, "id" | "groupId" | "categoryRank" | "acceptedAtText">): Promise<{ ahead: number; total: number; byRank: Map<number, number> }> {
  const { rows } = await db.query<{ rank: number; ahead: number; total: number }>(
    `SELECT category_rank AS rank,
            count(*) FILTER (WHERE (category_rank, accepted_at, id) < ($2::int, $3::timestamptz, $4::uuid))::int AS ahead,
            count(*)::int AS total
       FROM applications WHERE group_id = $1 AND status = ANY($5) GROUP BY category_rank`,
    [a.groupId, a.categoryRank, a.acceptedAtText, a.id, QUEUE_STATUSES],
  );
  const byRank = new Map<number, number>();
  let ahead = 0;
  let total = 0;
  for (const row of rows) {
    byRank.set(row.rank, row.rank === a.categoryRank ? row.total : row.ahead);
    ahead += row.ahead;
    total += row.total;
  }
  return { ahead, total, byRank };
}
