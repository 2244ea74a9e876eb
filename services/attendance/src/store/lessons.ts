import type { LessonKind, MarkStatus } from "@kruzhok/contracts";
import { outboxAppended, outboxRow, type OutboxEntry } from "@kruzhok/messaging";
import type { Queryable } from "@kruzhok/postgres";
import type { EnrollmentSpan } from "../domain/roster";
import type { RulesVersion } from "../domain/rules";
import type { OtherPresence } from "../domain/signals";
import type { MarkFact } from "../domain/summary";
import type { GroupRow } from "./projections";

// Lessons that were marked, their marks and every change of a mark; the provider's days off.

// Marking's hot path is three statements a lesson between BEGIN and COMMIT (`lessonContext`,
// `openLesson`, `writeMarks`): each round trip to Postgres costs a socket write and a wake-up,
// which on a busy machine are most of a lesson's time (the benchmark's profile).

/**
 * Everything marking needs to know of a group, in one round trip: the group, its municipality's
 * currency, every version of the rules the municipality set for `years` (in the order set), the provider's days off, its enrollments.
 * The children's locks are taken in the same statement, in one order (so two transactions never
 * wait for each other), before any lesson's: marks of one child are written one transaction at a
 * time, so each sees the other's lessons when it looks for overlaps.
 */
export async function lessonContext(
  db: Queryable,
  groupId: string,
  years: readonly number[],
  childIds: readonly string[],
): Promise<{ group: GroupRow; currency: "RUB" | "KZT"; rules: Map<number, RulesVersion[]>; daysOff: string[]; enrollments: EnrollmentSpan[] } | undefined> {
  const { rows } = await db.query<{
    group: GroupRow & { closedAt: string | null };
    currency: "RUB" | "KZT" | null;
    rules: ({ year: number } & RulesVersion)[] | null;
    daysOff: string[] | null;
    enrollments: { id: string; childId: string; groupId: string; startedAt: string | null; endedAt: string | null }[] | null;
    locked: number;
  }>({
    // Named: planned once per connection, not on every lesson.
    name: "attendance.lesson-context",
    text: `SELECT json_build_object('id', g.id, 'municipalityId', g.municipality_id, 'providerId', g.provider_id, 'programId', g.program_id,
              'timeZone', g.time_zone, 'slots', g.slots, 'startsOn', to_char(g.starts_on, 'YYYY-MM-DD'), 'endsOn', to_char(g.ends_on, 'YYYY-MM-DD'),
              'exceptions', g.exceptions, 'kind', g.kind, 'closedAt', g.closed_at) AS "group",
            (SELECT currency FROM municipalities WHERE id = g.municipality_id) AS currency,
            (SELECT json_agg(json_build_object('year', r.year, 'effectiveFrom', to_char(r.effective_from, 'YYYY-MM-DD'), 'rules', r.rules) ORDER BY r.seq) FROM attendance_rules r WHERE r.municipality_id = g.municipality_id AND r.year = ANY($2::int[])) AS rules,
            (SELECT array_agg(to_char(d.date, 'YYYY-MM-DD')) FROM group_days_off d WHERE d.group_id = g.id) AS "daysOff",
            (SELECT json_agg(json_build_object('id', e.id, 'childId', e.child_id, 'groupId', e.group_id, 'startedAt', e.started_at, 'endedAt', e.ended_at))
               FROM enrollments e WHERE e.group_id = g.id) AS enrollments,
            (SELECT count(pg_advisory_xact_lock(h))::int FROM
               (SELECT DISTINCT hashtextextended('attendance-child:' || c, 0) AS h FROM unnest($3::text[]) AS c ORDER BY h) AS ordered) AS locked
     FROM groups g WHERE g.id = $1`,
    values: [groupId, years, childIds],
  });
  const row = rows[0];
  if (!row) return undefined;
  const instant = (text: string | null) => (text === null ? null : new Date(text));
  return {
    group: { ...row.group, closedAt: instant(row.group.closedAt) },
    currency: row.currency ?? "RUB",
    rules: byYear(row.rules ?? []),
    daysOff: row.daysOff ?? [],
    enrollments: (row.enrollments ?? []).map((e) => ({ ...e, startedAt: instant(e.startedAt), endedAt: instant(e.endedAt) })),
  };
}

function byYear(versions: ({ year: number } & RulesVersion)[]): Map<number, RulesVersion[]> {
  const years = new Map<number, RulesVersion[]>();
  for (const { year, ...version } of versions) years.set(year, [...(years.get(year) ?? []), version]);
  return years;
}

/** The children's marking locks (as `lessonContext` takes them), in one order: a batch of lessons takes all of its children's first. */
export async function lockChildren(db: Queryable, childIds: readonly string[]): Promise<void> {
  await db.query({
    name: "attendance.lock-children",
    text: `SELECT count(pg_advisory_xact_lock(h))::int FROM
             (SELECT DISTINCT hashtextextended('attendance-child:' || c, 0) AS h FROM unnest($1::text[]) AS c ORDER BY h) AS ordered`,
    values: [[...new Set(childIds)]],
  });
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

/**
 * The lesson, made on its first mark and locked for this transaction (two markings of one lesson
 * take turns); whether its month is closed, with the month's lock held shared until the
 * transaction ends (a close takes it exclusively, so it waits for these marks, and these wait
 * for a close under way); and the lesson's marks so far. The marks are read in the statement
 * that may have waited for the lesson's lock: they may miss another transaction's marks of other
 * children, never of this one's, whose locks `lessonContext` took first. A refused marking rolls
 * the lesson back with everything else.
 */
export async function openLesson(
  db: Queryable,
  lesson: LessonRow & { municipalityId: string },
  month: string,
): Promise<{ id: string; monthClosed: boolean; existing: Map<string, { status: MarkStatus; review: string }> }> {
  const { rows } = await db.query<{ id: string; monthClosed: boolean; existing: { childId: string; status: MarkStatus; review: string }[] | null }>({
    // Named: planned once per connection, not on every lesson.
    name: "attendance.open-lesson",
    text: `WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock_shared(hashtextextended($12, 0)) AS l),
     closed AS (SELECT EXISTS (SELECT 1 FROM months WHERE municipality_id = $3 AND month = $11 AND status = 'closed') AS c FROM locked),
     made AS (
       INSERT INTO lessons (id, group_id, municipality_id, provider_id, date, start_time, starts_at, ends_at, kind, on_schedule)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (group_id, date, start_time) DO UPDATE SET group_id = EXCLUDED.group_id RETURNING id)
     SELECT made.id, closed.c AS "monthClosed",
            (SELECT json_agg(json_build_object('childId', m.child_id, 'status', m.status, 'review', m.review)) FROM marks m WHERE m.lesson_id = made.id) AS existing
     FROM made, closed`,
    values: [
      lesson.id,
      lesson.groupId,
      lesson.municipalityId,
      lesson.providerId,
      lesson.date,
      lesson.start,
      lesson.startsAt,
      lesson.endsAt,
      lesson.kind,
      lesson.onSchedule,
      month,
      `attendance-month:${lesson.municipalityId}:${month}`,
    ],
  });
  const row = rows[0]!;
  return { id: row.id, monthClosed: row.monthClosed, existing: new Map((row.existing ?? []).map((m) => [m.childId, { status: m.status, review: m.review }])) };
}

/**
 * Write marks of one lesson, their changes (who, when, old, new) and the event that announces
 * them (the outbox row packages/messaging made), and read what the signals of its present
 * children are decided from: their present marks in other lessons overlapping the lesson, and
 * the groups each was present in during the week from `monday` (other than this lesson's group,
 * whose marks this statement is writing). A changed mark loses its guardian's review: the
 * guardian reviews what is marked now.
 */
export async function writeMarks(
  db: Queryable,
  lesson: LessonRow & { municipalityId: string },
  marks: readonly { childId: string; enrollmentId: string; status: MarkStatus; previous: MarkStatus | null }[],
  by: { subject: string; role: string },
  now: Date,
  announcement: OutboxEntry,
  monday: string,
): Promise<{ overlaps: OtherPresence[]; week: Map<string, { groupId: string; providerId: string }[]> }> {
  const event = outboxRow(announcement);
  const { rows } = await db.query<OtherPresence & { kind: "overlap" | "week" }>({
    // Named: planned once per connection, not on every lesson.
    name: "attendance.write-marks",
    text: `WITH announced AS (
       INSERT INTO outbox (event_id, topic, message_key, type, payload) VALUES ($14, $15, $16, $17, $18)
     ), input AS (
       SELECT * FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[]) AS i(child_id, enrollment_id, status, previous)
     ), written AS (
       INSERT INTO marks (lesson_id, child_id, enrollment_id, group_id, municipality_id, date, starts_at, ends_at, status, review, marked_by, marked_at)
       SELECT $1, child_id, enrollment_id, $6, $7, $8, $9, $10, status, 'none', $11, $13 FROM input
       ON CONFLICT (lesson_id, child_id) DO UPDATE SET status = EXCLUDED.status, review = 'none', marked_by = EXCLUDED.marked_by, marked_at = EXCLUDED.marked_at
       RETURNING child_id
     ), changed AS (
       INSERT INTO mark_changes (lesson_id, changes, changed_by, role, changed_at)
       SELECT $1, jsonb_agg(jsonb_build_object('childId', i.child_id, 'oldStatus', i.previous, 'newStatus', i.status, 'oldReview', NULL, 'newReview', 'none')), $11, $12, $13
       FROM input i JOIN written w USING (child_id)
     ), present AS (
       SELECT child_id FROM input WHERE status = 'present'
     )
     SELECT 'overlap' AS kind, m.child_id AS "childId", m.lesson_id AS "lessonId", m.group_id AS "groupId", l.provider_id AS "providerId",
            m.starts_at AS "startsAt", m.ends_at AS "endsAt"
     FROM marks m JOIN lessons l ON l.id = m.lesson_id
     WHERE m.child_id IN (SELECT child_id FROM present) AND m.status = 'present' AND m.lesson_id <> $1
       AND m.starts_at < $10 AND m.ends_at > $9 AND m.starts_at > $9::timestamptz - interval '1 day'
     UNION ALL
     SELECT DISTINCT 'week', m.child_id, NULL::uuid, m.group_id, l.provider_id, NULL::timestamptz, NULL::timestamptz
     FROM marks m JOIN lessons l ON l.id = m.lesson_id
     WHERE m.child_id IN (SELECT child_id FROM present) AND m.status = 'present' AND m.group_id <> $6 AND m.date BETWEEN $19::date AND $19::date + 6
       -- The instants a day either side of the week's dates, so that the (child, starts_at) index bounds the scan.
       AND m.starts_at >= $19::date - 1 AND m.starts_at < $19::date + 8`,
    values: [
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
      event.eventId,
      event.topic,
      event.messageKey,
      event.type,
      event.payload,
      monday,
    ],
  });
  // The statement wrote an outbox row itself: this process's relay is told, as appendToOutbox tells it.
  outboxAppended();
  const overlaps: OtherPresence[] = [];
  const week = new Map<string, { groupId: string; providerId: string }[]>();
  for (const { kind, ...row } of rows) {
    if (kind === "overlap") overlaps.push(row);
    else week.set(row.childId, [...(week.get(row.childId) ?? []), { groupId: row.groupId, providerId: row.providerId }]);
  }
  return { overlaps, week };
}

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

export async function findLesson(db: Queryable, groupId: string, date: string, start: string): Promise<LessonRow | undefined> {
  const { rows } = await db.query<LessonRow>(
    `SELECT id, group_id AS "groupId", provider_id AS "providerId", to_char(date, 'YYYY-MM-DD') AS date, start_time AS start,
            starts_at AS "startsAt", ends_at AS "endsAt", kind, on_schedule AS "onSchedule"
     FROM lessons WHERE group_id = $1 AND date = $2 AND start_time = $3`,
    [groupId, date, start],
  );
  return rows[0];
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
  // Through the group's lessons (their unique index): marks keep no index of their own by group.
  const { rows } = await db.query<MarkView>(`${markView} WHERE l.group_id = $1 AND l.date BETWEEN $2 AND $3 ORDER BY m.starts_at, m.child_id`, [groupId, first, last]);
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
    `INSERT INTO mark_changes (lesson_id, changes, changed_by, role, changed_at, note)
     VALUES ($1, jsonb_build_array(jsonb_build_object('childId', $2::uuid, 'oldStatus', $3::text, 'newStatus', $4::text, 'oldReview', $5::text, 'newReview', $6::text)), $7, $8, $9, $10)`,
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
    `SELECT c->>'childId' AS "childId", c->>'oldStatus' AS "oldStatus", c->>'newStatus' AS "newStatus", c->>'oldReview' AS "oldReview", c->>'newReview' AS "newReview",
       changed_by AS "changedBy", role, changed_at AS "changedAt", note
     FROM mark_changes, jsonb_array_elements(changes) WITH ORDINALITY AS x(c, n) WHERE lesson_id = $1 ORDER BY seq, n`,
    [lessonId],
  );
  return rows;
}
