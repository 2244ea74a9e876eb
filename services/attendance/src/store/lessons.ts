import type { LessonKind, MarkStatus } from "@kruzhok/contracts";
import type { Queryable } from "@kruzhok/postgres";
import type { OtherPresence } from "../domain/signals";
import type { MarkFact } from "../domain/summary";

// Lessons that were marked, their marks and every change of a mark; the provider's days off.

export async function daysOffOf(db: Queryable, groupId: string): Promise<string[]> {
  const { rows } = await db.query<{ date: string }>(`SELECT to_char(date, 'YYYY-MM-DD') AS date FROM group_days_off WHERE group_id = $1`, [groupId]);
  return rows.map((r) => r.date);
}

export async function daysOffOfGroups(db: Queryable, groupIds: readonly string[]): Promise<Map<string, string[]>> {
  const { rows } = await db.query<{ groupId: string; date: string }>(
    `SELECT group_id AS "groupId", to_char(date, 'YYYY-MM-DD') AS date FROM group_days_off WHERE group_id = ANY($1::uuid[])`,
    [groupIds],
  );
  const byGroup = new Map<string, string[]>();
  for (const row of rows) byGroup.set(row.groupId, [...(byGroup.get(row.groupId) ?? []), row.date]);
  return byGroup;
}

export async function addDayOff(db: Queryable, groupId: string, date: string, kind: "cancelled" | "closure", by: string, now: Date): Promise<void> {
  await db.query(
    `INSERT INTO group_days_off (group_id, date, kind, set_by, set_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (group_id, date) DO UPDATE SET kind = EXCLUDED.kind, set_by = EXCLUDED.set_by, set_at = EXCLUDED.set_at`,
    [groupId, date, kind, by, now],
  );
}

export interface LessonRow {
  id: string;
  groupId: string;
  providerId: string;
  date: string;
  start: string;
  startsAt: Date;
  endsAt: Date;
  kind: LessonKind;
  onSchedule: boolean;
}

/** The lesson, made on its first mark, locked for this transaction (two markings of one lesson take turns); its id. */
export async function ensureLesson(db: Queryable, lesson: LessonRow & { municipalityId: string }): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO lessons (id, group_id, municipality_id, provider_id, date, start_time, starts_at, ends_at, kind, on_schedule)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (group_id, date, start_time) DO UPDATE SET group_id = EXCLUDED.group_id RETURNING id`,
    [lesson.id, lesson.groupId, lesson.municipalityId, lesson.providerId, lesson.date, lesson.start, lesson.startsAt, lesson.endsAt, lesson.kind, lesson.onSchedule],
  );
  return rows[0]!.id;
}

export async function findLesson(db: Queryable, groupId: string, date: string, start: string): Promise<LessonRow | undefined> {
  const { rows } = await db.query<LessonRow>(
    `SELECT id, group_id AS "groupId", provider_id AS "providerId", to_char(date, 'YYYY-MM-DD') AS date, start_time AS start,
            starts_at AS "startsAt", ends_at AS "endsAt", kind, on_schedule AS "onSchedule"
     FROM lessons WHERE group_id = $1 AND date = $2 AND start_time = $3`,
    [groupId, date, start],
  );
  return rows[0];
}

/** The marks of a lesson (its lesson row is locked by `ensureLesson`): child id -> status and review. */
export async function marksOfLesson(db: Queryable, lessonId: string): Promise<Map<string, { status: MarkStatus; review: string }>> {
  const { rows } = await db.query<{ childId: string; status: MarkStatus; review: string }>(
    `SELECT child_id AS "childId", status, review FROM marks WHERE lesson_id = $1`,
    [lessonId],
  );
  return new Map(rows.map((r) => [r.childId, { status: r.status, review: r.review }]));
}

/**
 * Write marks of one lesson and their changes (who, when, old, new) in one statement. A changed
 * mark loses its guardian's review: the guardian reviews what is marked now.
 */
export async function writeMarks(
  db: Queryable,
  lesson: LessonRow & { municipalityId: string },
  marks: readonly { childId: string; enrollmentId: string; status: MarkStatus; previous: MarkStatus | null }[],
  by: { subject: string; role: string },
  now: Date,
): Promise<void> {
  if (marks.length === 0) return;
  await db.query(
    `WITH input AS (
       SELECT * FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[]) AS i(child_id, enrollment_id, status, previous)
     ), written AS (
       INSERT INTO marks (lesson_id, child_id, enrollment_id, group_id, municipality_id, date, starts_at, ends_at, status, review, marked_by, marked_at)
       SELECT $1, child_id, enrollment_id, $6, $7, $8, $9, $10, status, 'none', $11, $13 FROM input
       ON CONFLICT (lesson_id, child_id) DO UPDATE SET status = EXCLUDED.status, review = 'none', marked_by = EXCLUDED.marked_by, marked_at = EXCLUDED.marked_at
       RETURNING child_id
     )
     INSERT INTO mark_changes (lesson_id, child_id, old_status, new_status, old_review, new_review, changed_by, role, changed_at)
     SELECT $1, i.child_id, i.previous, i.status, NULL, 'none', $11, $12, $13 FROM input i JOIN written w USING (child_id)`,
    [
      lesson.id,
      marks.map((m) => m.childId),
      marks.map((m) => m.enrollmentId),
      marks.map((m) => m.status),
      marks.map((m) => m.previous),
      lesson.groupId,
      lesson.municipalityId,
      lesson.date,
      lesson.startsAt,
      lesson.endsAt,
      by.subject,
      by.role,
      now,
    ],
  );
}

/** Present marks of these children in other lessons whose times overlap [startsAt, endsAt). */
export async function overlappingPresences(db: Queryable, lessonId: string, childIds: readonly string[], startsAt: Date, endsAt: Date): Promise<OtherPresence[]> {
  if (childIds.length === 0) return [];
  const { rows } = await db.query<OtherPresence>(
    `SELECT m.child_id AS "childId", m.lesson_id AS "lessonId", m.group_id AS "groupId", l.provider_id AS "providerId", m.starts_at AS "startsAt", m.ends_at AS "endsAt"
     FROM marks m JOIN lessons l ON l.id = m.lesson_id
     WHERE m.child_id = ANY($2::uuid[]) AND m.status = 'present' AND m.lesson_id <> $1
       AND m.starts_at < $4 AND m.ends_at > $3 AND m.starts_at > $3::timestamptz - interval '1 day'`,
    [lessonId, childIds, startsAt, endsAt],
  );
  return rows;
}

/** For each child: the groups it was present in during the week from `monday` (7 local dates). */
export async function groupsPresentInWeek(db: Queryable, childIds: readonly string[], monday: string): Promise<Map<string, { groupId: string; providerId: string }[]>> {
  const byChild = new Map<string, { groupId: string; providerId: string }[]>();
  if (childIds.length === 0) return byChild;
  const { rows } = await db.query<{ childId: string; groupId: string; providerId: string }>(
    `SELECT DISTINCT m.child_id AS "childId", m.group_id AS "groupId", l.provider_id AS "providerId"
     FROM marks m JOIN lessons l ON l.id = m.lesson_id
     WHERE m.child_id = ANY($1::uuid[]) AND m.status = 'present' AND m.date BETWEEN $2::date AND $2::date + 6`,
    [childIds, monday],
  );
  for (const row of rows) byChild.set(row.childId, [...(byChild.get(row.childId) ?? []), { groupId: row.groupId, providerId: row.providerId }]);
  return byChild;
}

/** A group's marked lessons and marks in a month, for the all-present check. */
export async function groupMonthMarks(db: Queryable, groupId: string, first: string, last: string): Promise<{ lessons: { date: string; start: string }[]; marks: number; absent: number }> {
  const { rows } = await db.query<{ date: string; start: string; marks: number; absent: number }>(
    `SELECT to_char(l.date, 'YYYY-MM-DD') AS date, l.start_time AS start, count(m.*)::int AS marks, count(*) FILTER (WHERE m.status = 'absent')::int AS absent
     FROM lessons l JOIN marks m ON m.lesson_id = l.id WHERE l.group_id = $1 AND l.date BETWEEN $2 AND $3 GROUP BY l.id`,
    [groupId, first, last],
  );
  return { lessons: rows.map((r) => ({ date: r.date, start: r.start })), marks: rows.reduce((s, r) => s + r.marks, 0), absent: rows.reduce((s, r) => s + r.absent, 0) };
}

export interface MarkView {
  lessonId: string;
  groupId: string;
  childId: string;
  enrollmentId: string;
  date: string;
  start: string;
  startsAt: Date;
  endsAt: Date;
  status: MarkStatus;
  review: MarkFact["review"];
  markedAt: Date;
}

const markView = `SELECT m.lesson_id AS "lessonId", m.group_id AS "groupId", m.child_id AS "childId", m.enrollment_id AS "enrollmentId",
  to_char(m.date, 'YYYY-MM-DD') AS date, l.start_time AS start, m.starts_at AS "startsAt", m.ends_at AS "endsAt", m.status, m.review, m.marked_at AS "markedAt"
  FROM marks m JOIN lessons l ON l.id = m.lesson_id`;

export async function marksOfGroupMonth(db: Queryable, groupId: string, first: string, last: string): Promise<MarkView[]> {
  const { rows } = await db.query<MarkView>(`${markView} WHERE m.group_id = $1 AND m.date BETWEEN $2 AND $3 ORDER BY m.starts_at, m.child_id`, [groupId, first, last]);
  return rows;
}

export async function marksOfChildMonth(db: Queryable, childId: string, first: string, last: string): Promise<MarkView[]> {
  const { rows } = await db.query<MarkView>(`${markView} WHERE m.child_id = $1 AND m.date BETWEEN $2 AND $3 ORDER BY m.starts_at`, [childId, first, last]);
  return rows;
}

/** One mark, locked, with its lesson's municipality. */
export async function findMark(db: Queryable, lessonId: string, childId: string): Promise<(MarkView & { municipalityId: string }) | undefined> {
  const { rows } = await db.query<MarkView & { municipalityId: string }>(
    `SELECT m.lesson_id AS "lessonId", m.group_id AS "groupId", m.child_id AS "childId", m.enrollment_id AS "enrollmentId", m.municipality_id AS "municipalityId",
       to_char(m.date, 'YYYY-MM-DD') AS date, '' AS start, m.starts_at AS "startsAt", m.ends_at AS "endsAt", m.status, m.review, m.marked_at AS "markedAt"
     FROM marks m WHERE m.lesson_id = $1 AND m.child_id = $2 FOR UPDATE`,
    [lessonId, childId],
  );
  return rows[0];
}

/** A guardian's or operator's review of a mark, with the change kept. */
export async function reviewMark(
  db: Queryable,
  mark: { lessonId: string; childId: string; oldStatus: MarkStatus; status: MarkStatus; oldReview: string; review: string },
  by: { subject: string; role: string },
  now: Date,
  note: string | null,
): Promise<void> {
  await db.query(`UPDATE marks SET status = $3, review = $4 WHERE lesson_id = $1 AND child_id = $2`, [mark.lessonId, mark.childId, mark.status, mark.review]);
  await db.query(
    `INSERT INTO mark_changes (lesson_id, child_id, old_status, new_status, old_review, new_review, changed_by, role, changed_at, note)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [mark.lessonId, mark.childId, mark.oldStatus, mark.status, mark.oldReview, mark.review, by.subject, by.role, now, note],
  );
}

export interface MarkChange {
  childId: string;
  oldStatus: MarkStatus | null;
  newStatus: MarkStatus;
  oldReview: string | null;
  newReview: string;
  changedBy: string;
  role: string;
  changedAt: Date;
  note: string | null;
}

export async function changesOfLesson(db: Queryable, lessonId: string): Promise<MarkChange[]> {
  const { rows } = await db.query<MarkChange>(
    `SELECT child_id AS "childId", old_status AS "oldStatus", new_status AS "newStatus", old_review AS "oldReview", new_review AS "newReview",
       changed_by AS "changedBy", role, changed_at AS "changedAt", note FROM mark_changes WHERE lesson_id = $1 ORDER BY seq`,
    [lessonId],
  );
  return rows;
}
