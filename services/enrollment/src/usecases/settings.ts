import { requireMunicipality, requireRole, type Actor } from "@kruzhok/actor";
import type { PoolClient, Queryable } from "@kruzhok/postgres";
import { enrollmentError } from "../domain/errors";
import { checkCalendar, publicHolidays } from "../domain/holidays";
import { findZone } from "../store/projections";
import { findCalendars, findNoticeSettings, saveCalendar, saveNoticeSettings, type NoticeSettings, type YearCalendar } from "../store/settings";
import { NOTICE_DEFAULTS } from "./notifications";

// The municipality's staff set what used to be constants: when families are told their turn is
// near and when an offer's reminder goes, and each year's calendar of days off.

async function zoneOf(db: Queryable, actor: Actor, municipalityId: string): Promise<string> {
  requireMunicipality(requireRole(actor, "municipality"), municipalityId);
  const zone = await findZone(db, municipalityId);
  if (!zone) throw enrollmentError("MUNICIPALITY_UNKNOWN", "enrollment has not yet heard of this municipality from the registry", { awaitingNews: true });
  return zone;
}

/** The municipality's notice settings, today's defaults where it set none. */
export async function noticeSettingsOf(db: Queryable, actor: Actor, municipalityId: string): Promise<NoticeSettings & { source: "default" | "municipality" }> {
  await zoneOf(db, actor, municipalityId);
  const set = (await findNoticeSettings(db, [municipalityId])).get(municipalityId);
  return set
    ? { ...set, source: "municipality" }
    : { positionThreshold: NOTICE_DEFAULTS.positionThreshold, offerReminderHours: NOTICE_DEFAULTS.offerExpiringLeadMs / 3_600_000, source: "default" };
}

export async function setNoticeSettings(tx: PoolClient, actor: Actor, command: { municipalityId: string } & NoticeSettings, now: Date): Promise<NoticeSettings & { source: "municipality" }> {
  await zoneOf(tx, actor, command.municipalityId);
  const { positionThreshold, offerReminderHours } = command;
  await saveNoticeSettings(tx, command.municipalityId, { positionThreshold, offerReminderHours }, actor.subject, now);
  return { positionThreshold, offerReminderHours, source: "municipality" };
}

/** A year's calendar as the deadlines count it: the municipality's own, or the country's fixed holidays. */
export async function calendarOf(db: Queryable, actor: Actor, municipalityId: string, year: number): Promise<YearCalendar & { source: "default" | "municipality" }> {
  const zone = await zoneOf(db, actor, municipalityId);
  const [own] = await findCalendars(db, municipalityId, [year]);
  return own ? { ...own, source: "municipality" } : { year, daysOff: [...publicHolidays(zone, [year])].sort(), workingDays: [], source: "default" };
}

export async function setCalendar(tx: PoolClient, actor: Actor, command: { municipalityId: string } & YearCalendar, now: Date): Promise<YearCalendar & { source: "municipality" }> {
  await zoneOf(tx, actor, command.municipalityId);
  const daysOff = [...new Set(command.daysOff)].sort();
  const workingDays = [...new Set(command.workingDays)].sort();
  checkCalendar(command.year, command.daysOff, command.workingDays);
  await saveCalendar(tx, command.municipalityId, { year: command.year, daysOff, workingDays }, actor.subject, now);
  return { year: command.year, daysOff, workingDays, source: "municipality" };
}
