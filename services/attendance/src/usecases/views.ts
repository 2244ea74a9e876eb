import { requireRole, type Actor } from "@kruzhok/actor";
import type { Queryable } from "@kruzhok/postgres";
import { onRosterOn } from "../domain/roster";
import { holidaysOf, monthBounds, rulesOn, type AttendanceRules } from "../domain/rules";
import { daysWithoutLessons, localDate, plannedLessons } from "../domain/schedule";
import { changesOfLesson, daysOffOf, findLesson, marksOfChildMonth, marksOfGroupMonth, type MarkChange, type MarkView } from "../store/lessons";
import { findMonth, isMonthClosed, summariesOf } from "../store/months";
import { enrollmentsOfChild, enrollmentsOfGroup, findMunicipality } from "../store/projections";
import { disputedMarks } from "../store/disputes";
import { rulesVersions } from "../store/rules";
import { listProviderSignals, listSignals, type SignalRow } from "../store/signals";
import { signalForProvider, type ProviderSignalView } from "../domain/signals";
import type { SignalKind } from "@kruzhok/contracts";
import { attendanceError } from "../domain/errors";
import { requireGroupReader, requireGuardianOf, requireMunicipalStaff } from "./access";
import { bookOf, groupOf, municipalityOf, rulesOf } from "./context";

// Reads: who may see, then the store; the schedule's lessons computed as marking computes them.

/** A group's month: its scheduled lessons with their rosters, and the marks. */
export async function groupMonth(db: Queryable, actor: Actor, groupId: string, month: string) {
  const group = await groupOf(db, groupId);
  await requireGroupReader(db, actor, group);
  const municipality = (await findMunicipality(db, group.municipalityId)) ?? { id: group.municipalityId, currency: "RUB" as const };
  const book = await rulesOf(db, municipality, Number(month.slice(0, 4)));
  const { first, last } = monthBounds(month);
  const off = daysWithoutLessons(group, holidaysOf(book), await daysOffOf(db, group.id));
  const enrollments = await enrollmentsOfGroup(db, group.id);
  const lessons = plannedLessons(group, off, first, last).map((lesson) => ({
    ...lesson,
    roster: enrollments.filter((e) => onRosterOn(e, group.timeZone, lesson.date)).map((e) => e.childId),
  }));
  return { groupId, month, closed: await isMonthClosed(db, group.municipalityId, month), lessons, marks: await marksOfGroupMonth(db, group.id, first, last) };
}

/** Every change of a lesson's marks: who, when, old, new. */
export async function lessonChanges(db: Queryable, actor: Actor, groupId: string, date: string, start: string): Promise<MarkChange[]> {
  const group = await groupOf(db, groupId);
  await requireGroupReader(db, actor, group);
  const lesson = await findLesson(db, groupId, date, start);
  return lesson ? changesOfLesson(db, lesson.id) : [];
}

/** A child's marks of a month: for its guardians, the providers it is enrolled with, and the municipality's staff. */
export async function childMonth(db: Queryable, actor: Actor, childId: string, month: string): Promise<MarkView[]> {
  const { first, last } = monthBounds(month);
  if (actor.role === "guardian") {
    await requireGuardianOf(db, actor, childId);
    return marksOfChildMonth(db, childId, first, last);
  }
  const enrollments = await enrollmentsOfChild(db, childId);
  if (actor.role === "provider") {
    const groups = new Set<string>();
    for (const e of enrollments) if ((await groupOf(db, e.groupId)).providerId === actor.providerId) groups.add(e.groupId);
    if (groups.size === 0) throw attendanceError("NOT_YOUR_CHILD", `child ${childId} is in none of your groups`, { field: "id" });
    return (await marksOfChildMonth(db, childId, first, last)).filter((m) => groups.has(m.groupId));
  }
  const municipalityId = enrollments[0]?.municipalityId;
  if (!municipalityId) throw attendanceError("CHILD_UNKNOWN", `child ${childId} has no enrollment attendance knows of`, { field: "id" });
  await requireMunicipalStaff(db, actor, municipalityId);
  return marksOfChildMonth(db, childId, first, last);
}

export async function signalsOf(db: Queryable, actor: Actor, municipalityId: string, filter: { kind?: SignalKind | undefined; open?: boolean | undefined }, limit: number): Promise<SignalRow[]> {
  await requireMunicipalStaff(db, actor, municipalityId);
  return listSignals(db, municipalityId, filter, limit);
}

/** The signals about a provider's own groups, as the provider itself reads them. */
export async function providerSignals(db: Queryable, actor: Actor, providerId: string, filter: { kind?: SignalKind | undefined; open?: boolean | undefined }, limit: number): Promise<ProviderSignalView[]> {
  requireRole(actor, "provider");
  if (actor.providerId !== providerId) throw attendanceError("NOT_YOUR_PROVIDER", "a provider sees the signals about its own groups only", { field: "id" });
  return (await listProviderSignals(db, providerId, filter, limit)).map((signal) => signalForProvider(signal, providerId));
}

/**
 * A year's rules in force on a local date (`on`; unset: today in the municipality's zone, or the
 * nearest day of the year for a year before or after this one).
 */
export async function rulesView(db: Queryable, actor: Actor, municipalityId: string, year: number, now: Date, on?: string): Promise<AttendanceRules> {
  await requireMunicipalStaff(db, actor, municipalityId);
  const municipality = await municipalityOf(db, municipalityId);
  return rulesOn(await rulesOf(db, municipality, year), on ?? dayOfYear(year, localDate(now, municipality.timeZone)));
}

/** Every version of a year's rules as set (who, when, from when), and which is in force today. */
export async function rulesHistory(db: Queryable, actor: Actor, municipalityId: string, year: number, now: Date) {
  await requireMunicipalStaff(db, actor, municipalityId);
  const municipality = await municipalityOf(db, municipalityId);
  const today = dayOfYear(year, localDate(now, municipality.timeZone));
  const versions = await rulesVersions(db, municipalityId, [year]);
  const book = bookOf(year, municipality.currency, versions);
  const current = rulesOn(book, today);
  const inForce = versions.findLast((v) => v.rules === current);
  return {
    year,
    on: today,
    current: { effectiveFrom: inForce?.effectiveFrom ?? null, rules: current },
    defaults: book.defaults,
    versions: versions.map((v) => ({ effectiveFrom: v.effectiveFrom, rules: v.rules, setAt: v.setAt.toISOString(), setBy: v.setBy, inForce: v === inForce })).reverse(),
  };
}

/** `today` if it is a day of `year`, else the year's first (a year ahead) or last (a year past) day. */
function dayOfYear(year: number, today: string): string {
  const first = `${year}-01-01`;
  const last = `${year}-12-31`;
  return today < first ? first : today > last ? last : today;
}

/** A month's summaries (the latest version unless asked), for the municipality's staff. */
export async function monthSummaries(db: Queryable, actor: Actor, municipalityId: string, month: string) {
  await requireMunicipalStaff(db, actor, municipalityId);
  const known = await findMonth(db, municipalityId, month);
  const version = known?.version ?? 0;
  return {
    month,
    status: known?.status ?? null,
    version,
    closedAt: known?.closedAt?.toISOString() ?? null,
    reopenedAt: known?.reopenedAt?.toISOString() ?? null,
    reopenReason: known?.reopenReason ?? null,
    items: version > 0 ? (await summariesOf(db, municipalityId, month, version)).map((s) => s.summary) : [],
  };
}

/**
 * The marks families dispute in the municipality (of one month's lessons, or every month's), for
 * its staff to resolve: its operators and officials, and its region's.
 */
export async function disputesOf(db: Queryable, actor: Actor, municipalityId: string, month: string | undefined, limit: number) {
  await requireMunicipalStaff(db, actor, municipalityId);
  const { first, last } = month ? monthBounds(month) : { first: "2000-01-01", last: "2200-12-31" };
  return (await disputedMarks(db, municipalityId, first, last, limit)).map((d) => ({ ...d, startsAt: d.startsAt.toISOString(), disputedAt: d.disputedAt?.toISOString() ?? null }));
}
