import type { Queryable } from "@kruzhok/postgres";
import type { CalendarVersion } from "../domain/holidays";
import type { NoticeVersion } from "../domain/settings";

// The municipality's own settings, each a version from a date (domain/settings.ts says which is
// in force on a day): its notice thresholds (none: today's defaults, usecases/notifications.ts)
// and its calendars of days off. A version is added, never changed.

/** Who set a version, and when. */
export interface SetBy {
  setAt: Date;
  setBy: string;
}

export type NoticeVersionRow = NoticeVersion & SetBy;

/** Every version of the municipality's notice thresholds, in the order they were set. */
export async function noticeVersions(db: Queryable, municipalityId: string): Promise<NoticeVersionRow[]> {
  const { rows } = await db.query<NoticeVersionRow>(
    `SELECT to_char(effective_from, 'YYYY-MM-DD') AS "effectiveFrom", position_notice_threshold AS "positionThreshold",
            offer_reminder_hours AS "offerReminderHours", set_at AS "setAt", set_by AS "setBy"
       FROM municipality_settings WHERE municipality_id = $1 ORDER BY seq`,
    [municipalityId],
  );
  return rows;
}

/**
 * The position threshold of the group's municipality in force at `now` (on its local date);
 * undefined when none is. One statement: it runs on every queue change that may tell a family.
 */
export async function positionThresholdOfGroup(db: Queryable, groupId: string, now: Date): Promise<number | undefined> {
  const { rows } = await db.query<{ threshold: number }>(
    `SELECT v.position_notice_threshold AS threshold
       FROM groups g JOIN municipalities m ON m.id = g.municipality_id
       CROSS JOIN LATERAL (SELECT s.position_notice_threshold FROM municipality_settings s
                            WHERE s.municipality_id = g.municipality_id AND s.effective_from <= ($2::timestamptz AT TIME ZONE m.time_zone)::date
                            ORDER BY s.effective_from DESC, s.seq DESC LIMIT 1) v
      WHERE g.id = $1`,
    [groupId, now],
  );
  return rows[0]?.threshold;
}

/** A new version of the notice thresholds: earlier ones stay as they were. */
export async function addNoticeVersion(db: Queryable, municipalityId: string, version: NoticeVersion, setBy: string, now: Date): Promise<NoticeVersionRow> {
  await db.query(
    `INSERT INTO municipality_settings (municipality_id, effective_from, position_notice_threshold, offer_reminder_hours, set_at, set_by)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [municipalityId, version.effectiveFrom, version.positionThreshold, version.offerReminderHours, now, setBy],
  );
  return { ...version, setAt: now, setBy };
}

export type CalendarVersionRow = CalendarVersion & SetBy & { year: number; daysOff: string[]; workingDays: string[] };

/** Every version of the municipality's calendars of `years`, in the order they were set. */
export async function calendarVersions(db: Queryable, municipalityId: string, years: readonly number[]): Promise<CalendarVersionRow[]> {
  const { rows } = await db.query<CalendarVersionRow>(
    `SELECT year, to_char(effective_from, 'YYYY-MM-DD') AS "effectiveFrom",
            ARRAY(SELECT to_char(d, 'YYYY-MM-DD') FROM unnest(days_off) d ORDER BY d) AS "daysOff",
            ARRAY(SELECT to_char(d, 'YYYY-MM-DD') FROM unnest(working_days) d ORDER BY d) AS "workingDays",
            set_at AS "setAt", set_by AS "setBy"
       FROM municipality_calendars WHERE municipality_id = $1 AND year = ANY($2::int[]) ORDER BY seq`,
    [municipalityId, years],
  );
  return rows;
}

/** A new version of a year's calendar: earlier ones stay as they were. */
export async function addCalendarVersion(db: Queryable, municipalityId: string, year: number, version: CalendarVersion, setBy: string, now: Date): Promise<CalendarVersionRow> {
  await db.query(
    `INSERT INTO municipality_calendars (municipality_id, year, effective_from, days_off, working_days, set_at, set_by)
     VALUES ($1, $2, $3, $4::date[], $5::date[], $6, $7)`,
    [municipalityId, year, version.effectiveFrom, version.daysOff, version.workingDays, now, setBy],
  );
  return { ...version, year, daysOff: [...version.daysOff], workingDays: [...version.workingDays], setAt: now, setBy };
}

/** What a batch of submissions reads of a municipality's settings (see `submissionSettings`). */
export interface SubmissionSettings {
  notices: { effectiveFrom: string; positionThreshold: number }[];
  calendars: (CalendarVersion & { year: number })[];
}

/**
 * For a batch of submissions, in one statement: each municipality's versions of its position
 * threshold and of its calendars of `years` that can be in force on `since` (its earliest local
 * day in the batch) or after it: the one in force on `since`, and every one taking effect later.
 * Versions superseded before `since` decide nothing the batch asks, and are left out. Each list
 * in the order set.
 */
export async function submissionSettings(
  db: Queryable,
  municipalities: readonly { municipalityId: string; since: string }[],
  years: readonly number[],
): Promise<Map<string, SubmissionSettings>> {
  const { rows } = await db.query<SubmissionSettings & { municipalityId: string }>(
    `SELECT m.id AS "municipalityId",
            COALESCE((SELECT json_agg(json_build_object('effectiveFrom', to_char(s.effective_from, 'YYYY-MM-DD'), 'positionThreshold', s.position_notice_threshold) ORDER BY s.seq)
                        FROM municipality_settings s
                       WHERE s.municipality_id = m.id
                         AND (s.effective_from > m.since
                              OR s.seq = (SELECT p.seq FROM municipality_settings p WHERE p.municipality_id = m.id AND p.effective_from <= m.since
                                           ORDER BY p.effective_from DESC, p.seq DESC LIMIT 1))), '[]') AS notices,
            COALESCE((SELECT json_agg(json_build_object('year', c.year, 'effectiveFrom', to_char(c.effective_from, 'YYYY-MM-DD'),
                        'daysOff', ARRAY(SELECT to_char(d, 'YYYY-MM-DD') FROM unnest(c.days_off) d),
                        'workingDays', ARRAY(SELECT to_char(d, 'YYYY-MM-DD') FROM unnest(c.working_days) d)) ORDER BY c.seq)
                        FROM municipality_calendars c
                       WHERE c.municipality_id = m.id AND c.year = ANY($3::int[])
                         AND (c.effective_from > m.since
                              OR c.seq = (SELECT p.seq FROM municipality_calendars p WHERE p.municipality_id = m.id AND p.year = c.year AND p.effective_from <= m.since
                                           ORDER BY p.effective_from DESC, p.seq DESC LIMIT 1))), '[]') AS calendars
       FROM unnest($1::uuid[], $2::date[]) AS m(id, since)`,
    [municipalities.map((m) => m.municipalityId), municipalities.map((m) => m.since), years],
  );
  return new Map(rows.map(({ municipalityId, ...rest }) => [municipalityId, rest]));
}
