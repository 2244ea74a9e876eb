import { requireRole, type Actor } from "@kruzhok/actor";
import { MonthClosed, MonthReopened, MonthSummarised } from "@kruzhok/contracts";
import { appendToOutbox, emit, newEvent, type Cause } from "@kruzhok/messaging";
import type { Queryable } from "@kruzhok/postgres";
import { addDays, formatLocalDate, parseLocalDate } from "@kruzhok/time";
import { attendanceError } from "../domain/errors";
import { excusedVacationDays, type Notice } from "../domain/notices";
import { rosterSpan } from "../domain/roster";
import { closingDayOf, holidaysOf, monthBounds, monthOf, nextMonth, previousMonth, rulesOn } from "../domain/rules";
import { daysWithoutLessons, instantOf, localDate } from "../domain/schedule";
import { summariseMonth, type MarkFact, type MonthCounts } from "../domain/summary";
import { daysOffOfGroups } from "../store/lessons";
import { closedMonths, enrollmentsInMonth, findMonth, insertSummaries, lockMonth, marksOfMonth, saveClosed, saveReopened } from "../store/months";
import { noticesFor } from "../store/notices";
import { groupsOfMunicipality, listMunicipalities, type MunicipalityRow } from "../store/projections";
import type { AttendanceDeps } from "../deps";
import { requireMunicipalStaff } from "./access";
import { municipalityOf, planOf, rulesCache } from "./context";
import { inTransaction, type Write } from "./transaction";

export interface CloseResult {
  month: string;
  version: number;
  /** False when the month was closed already: closing twice changes nothing. */
  closedNow: boolean;
  enrollments: number;
}

/**
 * The municipality's month locks: one summary per enrollment, the version after the last one (1
 * on the first close, n + 1 after a reopening), each published as `attendance.month.summarised`,
 * then `attendance.month.closed`. A month already closed is left as it is. An operator may close
 * once the month has ended in the local zone; the schedule closes on the closing day.
 */
export async function closeMonth(
  deps: AttendanceDeps,
  actor: Actor | "schedule",
  command: { municipalityId: string; month: string },
  cause: Cause,
): Promise<CloseResult> {
  return inTransaction(deps, cause, async (write) => {
    const { tx, now } = write;
    if (actor !== "schedule") await requireMunicipalStaff(tx, actor, command.municipalityId, "operator", "municipality");
    const municipality = await municipalityOf(tx, command.municipalityId);
    const { first } = monthBounds(nextMonth(command.month));
    if (localDate(now, municipality.timeZone) < first) {
      throw attendanceError("MONTH_NOT_ENDED", `${command.month} has not ended in ${municipality.timeZone}`, { field: "month" });
    }
    await lockMonth(tx, municipality.id, command.month);
    const known = await findMonth(tx, municipality.id, command.month);
    if (known?.status === "closed") return { month: command.month, version: known.version, closedNow: false, enrollments: 0 };
    const version = (known?.version ?? 0) + 1;
    const summaries = await summarise(tx, municipality, command.month, now);
    await publishSummaries(write, municipality.id, command.month, version, summaries);
    await saveClosed(tx, municipality.id, command.month, version, actor === "schedule" ? "schedule" : actor.subject, now);
    await emit(
      tx,
      MonthClosed,
      { ...write.cause, municipalityId: municipality.id, aggregateId: `${municipality.id}:${command.month}` },
      { month: command.month, version, enrollments: summaries.length, closedBy: actor === "schedule" ? "schedule" : "operator" },
      now,
    );
    return { month: command.month, version, closedNow: true, enrollments: summaries.length };
  });
}

/** The municipality reopens a closed month for corrections, saying why (kept with the month); its next close publishes corrected summaries that supersede these. */
export async function reopenMonth(deps: AttendanceDeps, actor: Actor, command: { municipalityId: string; month: string; reason?: string | undefined }, cause: Cause): Promise<{ month: string; version: number }> {
  return inTransaction(deps, cause, async ({ tx, now, cause }) => {
    requireRole(actor, "municipality");
    await requireMunicipalStaff(tx, actor, command.municipalityId, "municipality");
    await lockMonth(tx, command.municipalityId, command.month);
    const known = await findMonth(tx, command.municipalityId, command.month);
    if (known?.status !== "closed") throw attendanceError("MONTH_NOT_CLOSED", `${command.month} is not closed`, { field: "month" });
    await saveReopened(tx, command.municipalityId, command.month, actor.subject, now, command.reason ?? null);
    await emit(tx, MonthReopened, { ...cause, municipalityId: command.municipalityId, aggregateId: `${command.municipalityId}:${command.month}` }, { month: command.month, version: known.version }, now);
    return { month: command.month, version: known.version };
  });
}

/**
 * The close job: every municipality's previous month, once its closing day has come in the
 * municipality's zone, unless it was closed (or reopened: a reopened month is closed again by
 * hand). Returns the months it closed.
 */
export async function closeDueMonths(deps: AttendanceDeps): Promise<CloseResult[]> {
  const now = deps.clock();
  const closed: CloseResult[] = [];
  for (const municipality of await listMunicipalities(deps.pool)) {
    const today = localDate(now, municipality.timeZone);
    const month = previousMonth(monthOf(today));
    // The closing day counts working days of today's month by the rules in force on its first day.
    const book = await rulesCache(deps.pool, municipality)(Number(today.slice(0, 4)));
    const closingWorkingDay = rulesOn(book, monthBounds(monthOf(today)).first).closingWorkingDay;
    if (today < closingDayOf(month, { holidays: holidaysOf(book), closingWorkingDay })) continue;
    if ((await closedMonths(deps.pool, municipality.id)).has(month)) continue;
    closed.push(await closeMonth(deps, "schedule", { municipalityId: municipality.id, month }, {}));
  }
  return closed;
}

type Summary = MonthCounts & {
  enrollmentId: string;
  childId: string;
  groupId: string;
  programId: string | null;
  providerId: string;
  kind: "class" | "day_of_care";
  confirmationRequired: boolean;
};

/** Every enrollment's counts for the month, from the schedule, the marks and the notices. */
async function summarise(db: Queryable, municipality: MunicipalityRow, month: string, now: Date): Promise<Summary[]> {
  const { first, last } = monthBounds(month);
  const year = Number(month.slice(0, 4));
  const book = await rulesCache(db, municipality)(year);
  // Each day's holidays as that day's rules had them; what holds for the month as a whole (the
  // vacation cap, confirmation) as the rules in force on its last day, when its attendance is complete.
  const holidays = holidaysOf(book);
  const rules = rulesOn(book, last);
  const groups = new Map((await groupsOfMunicipality(db, municipality.id)).map((row) => [row.id, planOf(row)]));
  const daysOff = await daysOffOfGroups(db, [...groups.keys()]);
  const offOf = new Map([...groups.values()].map((g) => [g.id, daysWithoutLessons(g, holidays, daysOff.get(g.id) ?? [])]));
  // A day either side: the roster decides by local dates, in each group's zone.
  const enrollments = await enrollmentsInMonth(
    db,
    municipality.id,
    instantOf(formatLocalDate(addDays(parseLocalDate(first), -1)), "00:00", municipality.timeZone),
    instantOf(formatLocalDate(addDays(parseLocalDate(last), 2)), "00:00", municipality.timeZone),
  );
  const marks = new Map<string, MarkFact[]>();
  const absentChildren = new Set<string>();
  const enrollmentChild = new Map(enrollments.map((e) => [e.id, e.childId]));
  for (const mark of await marksOfMonth(db, municipality.id, first, last)) {
    marks.set(mark.enrollmentId, [...(marks.get(mark.enrollmentId) ?? []), mark]);
    if (mark.status === "absent") absentChildren.add(enrollmentChild.get(mark.enrollmentId) ?? "");
  }
  const notices = await noticesFor(db, [...absentChildren].filter(Boolean), [...groups.keys()], first, last);
  const byChild = new Map<string, Notice[]>();
  const byGroup = new Map<string, Notice[]>();
  for (const notice of notices) {
    if (notice.childId) byChild.set(notice.childId, [...(byChild.get(notice.childId) ?? []), notice]);
    else if (notice.groupId) byGroup.set(notice.groupId, [...(byGroup.get(notice.groupId) ?? []), notice]);
  }
  const vacations = new Map<string, Set<string>>();
  const none = new Set<string>();
  const summaries: Summary[] = [];
  for (const enrollment of enrollments) {
    const group = groups.get(enrollment.groupId);
    if (!group) continue; // REVIEW: an enrollment in a group attendance never heard of has no schedule; it is summarised once the group's event comes and the month is reopened.
    // The instants were a day either side; the roster's local dates decide whether it was this month's.
    const span = rosterSpan(enrollment, group.timeZone);
    if (!span || span.from > last || (span.until !== null && span.until <= first)) continue;
    const own = byChild.get(enrollment.childId) ?? [];
    let vacationDays = vacations.get(enrollment.childId);
    if (!vacationDays) vacations.set(enrollment.childId, (vacationDays = own.length > 0 ? excusedVacationDays(own, year, rules.vacationDaysCap) : none));
    const counts = summariseMonth({
      month,
      enrollment,
      group,
      off: offOf.get(group.id)!,
      marks: marks.get(enrollment.id) ?? [],
      notices: [...(byGroup.get(group.id) ?? []), ...own],
      vacationDays,
      confirmationRequired: rules.confirmationRequired,
      asOf: now,
    });
    summaries.push({
      ...counts,
      enrollmentId: enrollment.id,
      childId: enrollment.childId,
      groupId: group.id,
      programId: enrollment.programId ?? group.programId,
      providerId: group.providerId,
      kind: group.kind,
      confirmationRequired: rules.confirmationRequired,
    });
  }
  return summaries;
}

/** The summaries stored and written to the outbox in batches (a region's month is 100,000 enrollments). */
async function publishSummaries(write: Write, municipalityId: string, month: string, version: number, summaries: readonly Summary[]): Promise<void> {
  const { tx, now, cause } = write;
  const BATCH = 2_000;
  for (let i = 0; i < summaries.length; i += BATCH) {
    const batch = summaries.slice(i, i + BATCH);
    const events = batch.map((s) =>
      newEvent(
        MonthSummarised,
        { ...cause, municipalityId, aggregateId: s.enrollmentId },
        { ...s, month, version, supersedes: version > 1 ? version - 1 : null },
        now,
      ),
    );
    await insertSummaries(tx, municipalityId, month, version, events.map((e) => ({ enrollmentId: e.data.enrollmentId, summary: e.data })));
    await appendToOutbox(tx, events.map((event) => ({ topic: MonthSummarised.topic, event })));
  }
}
