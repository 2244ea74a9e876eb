import type { Queryable } from "@kruzhok/postgres";

// The municipality's own settings (unset: today's defaults, see usecases/notifications.ts) and
// its calendars of days off.

export interface NoticeSettings {
  positionThreshold: number;
  offerReminderHours: number;
}

export async function findNoticeSettings(db: Queryable, municipalityIds: readonly string[]): Promise<Map<string, NoticeSettings>> {
  const { rows } = await db.query<NoticeSettings & { municipalityId: string }>(
    `SELECT municipality_id AS "municipalityId", position_notice_threshold AS "positionThreshold", offer_reminder_hours AS "offerReminderHours"
       FROM municipality_settings WHERE municipality_id = ANY($1::uuid[])`,
    [municipalityIds],
  );
  return new Map(rows.map(({ municipalityId, ...settings }) => [municipalityId, settings]));
}

/** The position threshold of the group's municipality; undefined when it set none. */
export async function positionThresholdOfGroup(db: Queryable, groupId: string): Promise<number | undefined> {
  const { rows } = await db.query<{ threshold: number }>(
    `SELECT s.position_notice_threshold AS threshold FROM groups g JOIN municipality_settings s ON s.municipality_id = g.municipality_id WHERE g.id = $1`,
    [groupId],
  );
  return rows[0]?.threshold;
}

export async function saveNoticeSettings(db: Queryable, municipalityId: string, settings: NoticeSettings, by: string, now: Date): Promise<void> {
  await db.query(
    `INSERT INTO municipality_settings (municipality_id, position_notice_threshold, offer_reminder_hours, updated_at, updated_by)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (municipality_id) DO UPDATE SET position_notice_threshold = EXCLUDED.position_notice_threshold,
       offer_reminder_hours = EXCLUDED.offer_reminder_hours, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
    [municipalityId, settings.positionThreshold, settings.offerReminderHours, now, by],
  );
}

export interface YearCalendar {
  year: number;
  daysOff: string[];
  workingDays: string[];
}

/** The municipality's calendars of `years` it has set. */
export async function findCalendars(db: Queryable, municipalityId: string, years: readonly number[]): Promise<YearCalendar[]> {
  const { rows } = await db.query<YearCalendar>(
    `SELECT year, ARRAY(SELECT to_char(d, 'YYYY-MM-DD') FROM unnest(days_off) d ORDER BY d) AS "daysOff",
            ARRAY(SELECT to_char(d, 'YYYY-MM-DD') FROM unnest(working_days) d ORDER BY d) AS "workingDays"
       FROM municipality_calendars WHERE municipality_id = $1 AND year = ANY($2::int[]) ORDER BY year`,
    [municipalityId, years],
  );
  return rows;
}

export async function saveCalendar(db: Queryable, municipalityId: string, calendar: YearCalendar, by: string, now: Date): Promise<void> {
  await db.query(
    `INSERT INTO municipality_calendars (municipality_id, year, days_off, working_days, updated_at, updated_by)
     VALUES ($1, $2, $3::date[], $4::date[], $5, $6)
     ON CONFLICT (municipality_id, year) DO UPDATE SET days_off = EXCLUDED.days_off, working_days = EXCLUDED.working_days,
       updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
    [municipalityId, calendar.year, calendar.daysOff, calendar.workingDays, now, by],
  );
}

/** For a batch of submissions: each municipality's position threshold (when set) and its calendars of `years`. */
export async function submissionSettings(
  db: Queryable,
  municipalityIds: readonly string[],
  years: readonly number[],
): Promise<Map<string, { positionThreshold: number | null; calendars: YearCalendar[] }>> {
  const { rows } = await db.query<{ municipalityId: string; positionThreshold: number | null; calendars: YearCalendar[] }>(
    `SELECT m.id AS "municipalityId", s.position_notice_threshold AS "positionThreshold",
            COALESCE((SELECT json_agg(json_build_object('year', c.year,
                        'daysOff', ARRAY(SELECT to_char(d, 'YYYY-MM-DD') FROM unnest(c.days_off) d),
                        'workingDays', ARRAY(SELECT to_char(d, 'YYYY-MM-DD') FROM unnest(c.working_days) d)))
                        FROM municipality_calendars c WHERE c.municipality_id = m.id AND c.year = ANY($2::int[])), '[]') AS calendars
       FROM unnest($1::uuid[]) AS m(id) LEFT JOIN municipality_settings s ON s.municipality_id = m.id`,
    [municipalityIds, years],
  );
  return new Map(rows.map(({ municipalityId, ...rest }) => [municipalityId, rest]));
}
