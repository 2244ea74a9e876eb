import { requireRole, type Actor } from "@kruzhok/actor";
import type { Queryable } from "@kruzhok/postgres";
import { onRosterOn } from "../domain/roster";
import { monthBounds } from "../domain/rules";
import { daysWithoutLessons, plannedLessons } from "../domain/schedule";
import { changesOfLesson, daysOffOf, findLesson, marksOfChildMonth, marksOfGroupMonth, type MarkChange, type MarkView } from "../store/lessons";
import { findMonth, isMonthClosed, summariesOf } from "../store/months";
import { enrollmentsOfChild, enrollmentsOfGroup, findMunicipality } from "../store/projections";
import { listProviderSignals, listSignals, type SignalRow } from "../store/signals";
import { signalForProvider, type ProviderSignalView } from "../domain/signals";
import type { SignalKind } from "@kruzhok/contracts";
import { attendanceError } from "../domain/errors";
import { requireGroupReader, requireGuardianOf, requireMunicipalStaff } from "./access";
import { groupOf, municipalityOf, rulesOf } from "./context";

// Reads: who may see, then the store; the schedule's lessons computed as marking computes them.

/** A group's month: its scheduled lessons with their rosters, and the marks. */
export async function groupMonth(db: Queryable, actor: Actor, groupId: string, month: string) {
  const group = await groupOf(db, groupId);
  await requireGroupReader(db, actor, group);
  const municipality = (await findMunicipality(db, group.municipalityId)) ?? { id: group.municipalityId, currency: "RUB" as const };
  const rules = await rulesOf(db, municipality, Number(month.slice(0, 4)));
  const { first, last } = monthBounds(month);
  const off = daysWithoutLessons(group, rules.holidays, await daysOffOf(db, group.id));
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

export async function rulesView(db: Queryable, actor: Actor, municipalityId: string, year: number) {
  await requireMunicipalStaff(db, actor, municipalityId);
  return rulesOf(db, await municipalityOf(db, municipalityId), year);
}

/** A month's summaries (the latest version unless asked), for the municipality's staff. */
export async function monthSummaries(db: Queryable, actor: Actor, municipalityId: string, month: string) {
  await requireMunicipalStaff(db, actor, municipalityId);
  const known = await findMonth(db, municipalityId, month);
  const version = known?.version ?? 0;
  return { month, status: known?.status ?? null, version, items: version > 0 ? (await summariesOf(db, municipalityId, month, version)).map((s) => s.summary) : [] };
}
