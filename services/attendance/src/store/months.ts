import type { Queryable } from "@kruzhok/postgres";

export interface MonthRow {
  municipalityId: string;
  month: string;
  status: "closed" | "reopened";
  version: number;
  closedAt: Date | null;
  closedBy: string | null;
  reopenedAt: Date | null;
  reopenedBy: string | null;
  reopenReason: string | null;
}

export async function findMonth(db: Queryable, municipalityId: string, month: string, lock = false): Promise<MonthRow | undefined> {
  const { rows } = await db.query<MonthRow>(
    `SELECT municipality_id AS "municipalityId", month, status, version, closed_at AS "closedAt", closed_by AS "closedBy", reopened_at AS "reopenedAt",
            reopened_by AS "reopenedBy", reopen_reason AS "reopenReason"
     FROM months WHERE municipality_id = $1 AND month = $2${lock ? " FOR UPDATE" : ""}`,
    [municipalityId, month],
  );
  return rows[0];
}

/** Take the month's row lock before anything reads it: two closes of one month run one after the other. */
export async function lockMonth(db: Queryable, municipalityId: string, month: string): Promise<void> {
  await db.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`attendance-month:${municipalityId}:${month}`]);
}

/**
 * Whether the month is closed, holding the month's lock shared until the transaction ends: a
 * close (which takes it exclusively, `lockMonth`) waits for marks being written, and marks wait
 * for a close under way, so no mark slips into a month after its summaries were made.
 */
export async function isMonthClosed(db: Queryable, municipalityId: string, month: string): Promise<boolean> {
  const { rows } = await db.query<{ closed: boolean }>(
    `SELECT pg_advisory_xact_lock_shared(hashtextextended($3, 0)) IS NOT NULL
        AND EXISTS (SELECT 1 FROM months WHERE municipality_id = $1 AND month = $2 AND status = 'closed') AS closed`,
    [municipalityId, month, `attendance-month:${municipalityId}:${month}`],
  );
  return rows[0]?.closed ?? false;
}

export async function saveClosed(db: Queryable, municipalityId: string, month: string, version: number, by: string, now: Date): Promise<void> {
  await db.query(
    `INSERT INTO months (municipality_id, month, status, version, closed_at, closed_by) VALUES ($1, $2, 'closed', $3, $4, $5)
     ON CONFLICT (municipality_id, month) DO UPDATE SET status = 'closed', version = EXCLUDED.version, closed_at = EXCLUDED.closed_at, closed_by = EXCLUDED.closed_by`,
    [municipalityId, month, version, now, by],
  );
}

export async function saveReopened(db: Queryable, municipalityId: string, month: string, by: string, now: Date, reason: string | null): Promise<void> {
  await db.query(`UPDATE months SET status = 'reopened', reopened_at = $3, reopened_by = $4, reopen_reason = $5 WHERE municipality_id = $1 AND month = $2`, [municipalityId, month, now, by, reason]);
}

/** Enrollments of the municipality on a roster at some time in [first, last] (local dates, judged loosely by instants a day either side; the summary decides exactly). */
export async function enrollmentsInMonth(
  db: Queryable,
  municipalityId: string,
  firstInstant: Date,
  lastInstant: Date,
): Promise<{ id: string; childId: string; groupId: string; programId: string | null; startedAt: Date; endedAt: Date | null }[]> {
  const { rows } = await db.query<{ id: string; childId: string; groupId: string; programId: string | null; startedAt: Date; endedAt: Date | null }>(
    `SELECT id, child_id AS "childId", group_id AS "groupId", program_id AS "programId", started_at AS "startedAt", ended_at AS "endedAt"
     FROM enrollments WHERE municipality_id = $1 AND started_at IS NOT NULL AND started_at < $3 AND (ended_at IS NULL OR ended_at > $2)`,
    [municipalityId, firstInstant, lastInstant],
  );
  return rows;
}

/** Every mark of the municipality's month, as facts per enrollment. */
export async function marksOfMonth(
  db: Queryable,
  municipalityId: string,
  first: string,
  last: string,
): Promise<{ enrollmentId: string; date: string; start: string; status: "present" | "absent"; review: "none" | "confirmed" | "disputed" | "resolved" }[]> {
  const { rows } = await db.query<{ enrollmentId: string; date: string; start: string; status: "present" | "absent"; review: "none" | "confirmed" | "disputed" | "resolved" }>(
    `SELECT m.enrollment_id AS "enrollmentId", to_char(m.date, 'YYYY-MM-DD') AS date, l.start_time AS start, m.status, m.review
     FROM marks m JOIN lessons l ON l.id = m.lesson_id WHERE m.municipality_id = $1 AND m.date BETWEEN $2 AND $3`,
    [municipalityId, first, last],
  );
  return rows;
}

export async function insertSummaries(db: Queryable, municipalityId: string, month: string, version: number, summaries: readonly { enrollmentId: string; summary: unknown }[]): Promise<void> {
  if (summaries.length === 0) return;
  await db.query(
    `INSERT INTO month_summaries (municipality_id, month, enrollment_id, version, summary)
     SELECT $1, $2, e, $3, s FROM unnest($4::uuid[], $5::jsonb[]) AS x(e, s)`,
    [municipalityId, month, version, summaries.map((s) => s.enrollmentId), summaries.map((s) => JSON.stringify(s.summary))],
  );
}

export async function summariesOf(db: Queryable, municipalityId: string, month: string, version: number): Promise<{ enrollmentId: string; summary: Record<string, unknown> }[]> {
  const { rows } = await db.query<{ enrollmentId: string; summary: Record<string, unknown> }>(
    `SELECT enrollment_id AS "enrollmentId", summary FROM month_summaries WHERE municipality_id = $1 AND month = $2 AND version = $3 ORDER BY enrollment_id`,
    [municipalityId, month, version],
  );
  return rows;
}

/** Months of the municipality that are not closed (never, or reopened), for the close job. */
export async function closedMonths(db: Queryable, municipalityId: string): Promise<Set<string>> {
  const { rows } = await db.query<{ month: string }>(`SELECT month FROM months WHERE municipality_id = $1`, [municipalityId]);
  return new Set(rows.map((r) => r.month));
}
