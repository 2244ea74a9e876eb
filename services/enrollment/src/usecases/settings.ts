import { requireMunicipality, requireRole, type Actor } from "@kruzhok/actor";
import type { PoolClient, Queryable } from "@kruzhok/postgres";
import { localDay } from "../domain/deadlines";
import { enrollmentError } from "../domain/errors";
import { calendarOn, decideCalendarVersion, publicHolidays } from "../domain/holidays";
import { decideNoticeVersion, defaultEffectiveFrom, inForceOn, type NoticeSettings } from "../domain/settings";
import { findZone } from "../store/projections";
import { addCalendarVersion, addNoticeVersion, calendarVersions, noticeVersions, type CalendarVersionRow, type NoticeVersionRow } from "../store/settings";
import { NOTICE_DEFAULTS } from "./notifications";

// The municipality's staff set what used to be constants: when families are told their turn is
// near and when an offer's reminder goes, and each year's calendar of days off. Each setting takes
// effect from a date, and every version is kept (domain/settings.ts): the readers decide by the
// version in force on the day they decide about.

async function zoneOf(db: Queryable, actor: Actor, municipalityId: string): Promise<string> {
  requireMunicipality(requireRole(actor, "municipality"), municipalityId);
  const zone = await findZone(db, municipalityId);
  if (!zone) throw enrollmentError("MUNICIPALITY_UNKNOWN", "enrollment has not yet heard of this municipality from the registry", { awaitingNews: true });
  return zone;
}

const noticeDefaults = (): NoticeSettings => ({ positionThreshold: NOTICE_DEFAULTS.positionThreshold, offerReminderHours: NOTICE_DEFAULTS.offerExpiringLeadMs / 3_600_000 });

/** A version as the API shows it: who set it and when, in ISO. */
const shown = <V extends { setAt: Date }>({ setAt, ...rest }: V) => ({ ...rest, setAt: setAt.toISOString() });

type NoticeView = NoticeSettings & { effectiveFrom: string | null; source: "default" | "municipality" };

function noticeView(inForce: NoticeVersionRow | undefined): NoticeView {
  return inForce
    ? { positionThreshold: inForce.positionThreshold, offerReminderHours: inForce.offerReminderHours, effectiveFrom: inForce.effectiveFrom, source: "municipality" }
    : { ...noticeDefaults(), effectiveFrom: null, source: "default" };
}

/** The notice thresholds in force on a local date (`on`; unset: today in the municipality's zone), today's defaults before the first version. */
export async function noticeSettingsOf(db: Queryable, actor: Actor, municipalityId: string, now: Date, on?: string): Promise<NoticeView> {
  const zone = await zoneOf(db, actor, municipalityId);
  return noticeView(inForceOn(await noticeVersions(db, municipalityId), on ?? localDay(now, zone)));
}

/** Every version of the notice thresholds as set (who, when, from when), the latest set first, and which is in force today. */
export async function noticeSettingsHistory(db: Queryable, actor: Actor, municipalityId: string, now: Date) {
  const zone = await zoneOf(db, actor, municipalityId);
  const today = localDay(now, zone);
  const versions = await noticeVersions(db, municipalityId);
  const inForce = inForceOn(versions, today);
  return {
    on: today,
    current: noticeView(inForce),
    defaults: noticeDefaults(),
    versions: versions.map((v) => ({ ...shown(v), inForce: v === inForce })).reverse(),
  };
}

/**
 * New notice thresholds, in force from a date: today (local) unless the official names a later
 * one. The versions before stay, and govern the moments before it.
 */
export async function setNoticeSettings(tx: PoolClient, actor: Actor, command: { municipalityId: string; effectiveFrom?: string | undefined } & NoticeSettings, now: Date) {
  const zone = await zoneOf(tx, actor, command.municipalityId);
  const today = localDay(now, zone);
  const version = decideNoticeVersion(command, command.effectiveFrom ?? defaultEffectiveFrom(today), today);
  return shown(await addNoticeVersion(tx, command.municipalityId, version, actor.subject, now));
}

type CalendarView = { year: number; effectiveFrom: string | null; daysOff: string[]; workingDays: string[]; source: "default" | "municipality" };

function calendarView(zone: string, year: number, versions: readonly CalendarVersionRow[], date: string): CalendarView {
  const { effectiveFrom, daysOff, workingDays } = calendarOn(zone, year, versions, date);
  return { year, effectiveFrom, daysOff, workingDays, source: effectiveFrom === null ? "default" : "municipality" };
}

/** `today` if it is a day of `year`, else the year's first (a year ahead) or last (a year past) day. */
function dayOfYear(year: number, today: string): string {
  const first = `${year}-01-01`;
  const last = `${year}-12-31`;
  return today < first ? first : today > last ? last : today;
}

/**
 * A year's calendar as review deadlines count it on a local date (`on`; unset: today, or the
 * year's nearest day for another year): the municipality's version in force then, or the
 * country's fixed holidays before any.
 */
export async function calendarOf(db: Queryable, actor: Actor, municipalityId: string, year: number, now: Date, on?: string): Promise<CalendarView> {
  const zone = await zoneOf(db, actor, municipalityId);
  return calendarView(zone, year, await calendarVersions(db, municipalityId, [year]), on ?? dayOfYear(year, localDay(now, zone)));
}

/** Every version of a year's calendar as set (who, when, from when), the latest set first, and which is in force today. */
export async function calendarHistory(db: Queryable, actor: Actor, municipalityId: string, year: number, now: Date) {
  const zone = await zoneOf(db, actor, municipalityId);
  const today = dayOfYear(year, localDay(now, zone));
  const versions = await calendarVersions(db, municipalityId, [year]);
  const inForce = inForceOn(versions, today);
  return {
    year,
    on: today,
    current: calendarView(zone, year, versions, today),
    defaults: { daysOff: [...publicHolidays(zone, [year])].sort(), workingDays: [] },
    versions: versions
      .map((row) => {
        const { year: _year, ...version } = shown(row);
        return { ...version, inForce: row === inForce };
      })
      .reverse(),
  };
}

/**
 * A year's calendar, in force from a date: today (local) unless the official names a later one,
 * or the year's first day for a year ahead. The versions before stay, and govern the days before it.
 */
export async function setCalendar(
  tx: PoolClient,
  actor: Actor,
  command: { municipalityId: string; year: number; daysOff: readonly string[]; workingDays: readonly string[]; effectiveFrom?: string | undefined },
  now: Date,
) {
  const zone = await zoneOf(tx, actor, command.municipalityId);
  const today = localDay(now, zone);
  const version = decideCalendarVersion(command.year, command, command.effectiveFrom ?? defaultEffectiveFrom(today, command.year), today);
  return shown(await addCalendarVersion(tx, command.municipalityId, command.year, version, actor.subject, now));
}
