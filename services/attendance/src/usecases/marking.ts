import { v7 as uuidv7 } from "uuid";
import type { Actor } from "@kruzhok/actor";
import { LessonMarked, SignalRaised, type LessonKind } from "@kruzhok/contracts";
import { emit, type Cause } from "@kruzhok/messaging";
import { attendanceError } from "../domain/errors";
import { checkSheetLesson, decideLessonMarks, type MarkInput } from "../domain/marking";
import { onRosterOn } from "../domain/roster";
import { monthBounds, monthOf } from "../domain/rules";
import { daysWithoutLessons, lessonAt, plannedLessons, type GroupPlan } from "../domain/schedule";
import { allPresentMonth, bulkLateEntry, outsideSchedule, overlappingLessons, tooManyGroups, weekOf, type Finding } from "../domain/signals";
import { addDayOff, daysOffOf, ensureLesson, groupMonthMarks, groupsPresentInWeek, marksOfLesson, overlappingPresences, writeMarks } from "../store/lessons";
import { isMonthClosed } from "../store/months";
import { enrollmentsOfGroup, findMunicipality, setGroupKind } from "../store/projections";
import { insertSignals } from "../store/signals";
import type { AttendanceDeps } from "../deps";
import { requireGroupProvider } from "./access";
import { groupOf, rulesCache } from "./context";
import { inTransaction, type Write } from "./transaction";

export interface LessonCommand {
  date: string;
  start: string;
  end?: string | undefined;
  marks: MarkInput[];
}

export interface MarkedLessonView {
  lessonId: string;
  date: string;
  start: string;
  end: string;
  onSchedule: boolean;
  changed: number;
}

/** Its provider marks one lesson of a group: every child present or absent. */
export async function markLesson(deps: AttendanceDeps, actor: Actor, command: { groupId: string } & LessonCommand, cause: Cause): Promise<MarkedLessonView> {
  const [view] = await markLessons(deps, actor, { groupId: command.groupId, lessons: [command] }, cause, "");
  return view!;
}

/** Its provider marks a whole month's sheet for a group: the lessons of that month, in one transaction. */
export async function markSheet(deps: AttendanceDeps, actor: Actor, command: { groupId: string; month: string; lessons: LessonCommand[] }, cause: Cause): Promise<MarkedLessonView[]> {
  command.lessons.forEach((lesson, index) => checkSheetLesson(command.month, lesson.date, index));
  return markLessons(deps, actor, command, cause, "lessons.");
}

/**
 * The one write path of marks: who may act (the group's own provider), each lesson decided by
 * domain/marking.ts (roster, lesson started, month open), the marks and their changes written,
 * one `attendance.lesson.marked` per lesson that changed, and the fraud signals the marks cause,
 * all in one transaction: a signal is on the list, and in the outbox, when the mark is.
 */
async function markLessons(deps: AttendanceDeps, actor: Actor, command: { groupId: string; lessons: LessonCommand[] }, cause: Cause, prefix: string): Promise<MarkedLessonView[]> {
  return inTransaction(deps, cause, async (write) => {
    const { tx, now } = write;
    const group = await groupOf(tx, command.groupId);
    requireGroupProvider(actor, group);
    const municipality = (await findMunicipality(tx, group.municipalityId)) ?? { id: group.municipalityId, currency: "RUB" as const };
    const rules = rulesCache(tx, municipality);
    const years = [...new Set(command.lessons.map((l) => Number(l.date.slice(0, 4))))];
    const holidays = (await Promise.all(years.map(async (year) => (await rules(year)).holidays))).flat();
    const off = daysWithoutLessons(group, holidays, await daysOffOf(tx, group.id));
    const enrollments = await enrollmentsOfGroup(tx, group.id);
    const closed = new Map<string, boolean>();
    const findings: Finding[] = [];
    const views: MarkedLessonView[] = [];
    const late: { id: string; endsAt: Date; marks: number }[] = [];

    for (const [index, lessonCommand] of command.lessons.entries()) {
      const field = prefix === "" ? "" : `${prefix}${index}.`;
      const month = monthOf(lessonCommand.date);
      if (!closed.has(month)) closed.set(month, await isMonthClosed(tx, group.municipalityId, month));
      const roster = new Map(enrollments.filter((e) => onRosterOn(e, group.timeZone, lessonCommand.date)).map((e) => [e.childId, e.id]));
      const planned = lessonAt(group, off, lessonCommand.date, lessonCommand.start, lessonCommand.end);
      const lessonRow = { id: uuidv7({ msecs: now.getTime() }), groupId: group.id, municipalityId: group.municipalityId, providerId: group.providerId, kind: group.kind, ...planned };
      // Refusals that need no lesson row come first, so a refused request writes nothing even within the transaction.
      const decision = decideLessonMarks(lessonCommand, { group, off, roster, existing: new Map(), monthClosed: closed.get(month)! }, now, field);
      const lessonId = await ensureLesson(tx, lessonRow);
      const existing = await marksOfLesson(tx, lessonId);
      const { lesson, writes } = existing.size === 0 ? decision : decideLessonMarks(lessonCommand, { group, off, roster, existing, monthClosed: false }, now, field);
      const row = { ...lessonRow, id: lessonId };
      await writeMarks(tx, row, writes, { subject: actor.subject, role: actor.role }, now);
      views.push({ lessonId, date: lesson.date, start: lesson.start, end: lesson.end, onSchedule: lesson.onSchedule, changed: writes.length });
      if (writes.length === 0) continue;
      await emit(
        tx,
        LessonMarked,
        { ...write.cause, municipalityId: group.municipalityId, aggregateId: lessonId },
        {
          lessonId,
          groupId: group.id,
          providerId: group.providerId,
          date: lesson.date,
          startsAt: lesson.startsAt.toISOString(),
          endsAt: lesson.endsAt.toISOString(),
          kind: group.kind,
          onSchedule: lesson.onSchedule,
          marks: writes.map((w) => ({ childId: w.childId, enrollmentId: w.enrollmentId, status: w.status, previous: w.previous })),
        },
        now,
      );
      late.push({ id: lessonId, endsAt: lesson.endsAt, marks: writes.length });
      findings.push(...(await signalsOfLesson(write, group, { ...row, ...lesson, id: lessonId }, writes, off, await rules(Number(lesson.date.slice(0, 4))))));
    }
    if (late.length > 0) findings.push(...bulkLateEntry({ id: group.id, providerId: group.providerId }, late, now, await rules(Number(command.lessons[0]!.date.slice(0, 4)))));
    await raise(write, group.municipalityId, findings);
    return views;
  });
}

/** The signals one lesson's new marks cause (domain/signals.ts decides; the store finds the evidence). */
async function signalsOfLesson(
  { tx }: Write,
  group: GroupPlan,
  lesson: { id: string; groupId: string; providerId: string; date: string; start: string; startsAt: Date; endsAt: Date; onSchedule: boolean },
  writes: readonly { childId: string; status: string }[],
  off: ReadonlySet<string>,
  rules: { maxGroupsPerWeek: number },
): Promise<Finding[]> {
  const present = writes.filter((w) => w.status === "present").map((w) => w.childId);
  const findings: Finding[] = [...outsideSchedule(lesson, writes.length)];
  findings.push(...overlappingLessons(lesson, await overlappingPresences(tx, lesson.id, present, lesson.startsAt, lesson.endsAt)));
  const week = weekOf(lesson.date);
  for (const [childId, groups] of await groupsPresentInWeek(tx, present, week)) findings.push(...tooManyGroups(childId, week, groups, rules));
  // All present all month: looked at when the month's last scheduled lesson is marked.
  const month = monthOf(lesson.date);
  const { first, last } = monthBounds(month);
  const scheduled = plannedLessons(group, off, first, last);
  const final = scheduled.at(-1);
  if (final?.date === lesson.date && final.start === lesson.start) {
    const marked = await groupMonthMarks(tx, group.id, first, last);
    const keys = new Set(marked.lessons.map((l) => `${l.date} ${l.start}`));
    const markedScheduled = scheduled.filter((l) => keys.has(`${l.date} ${l.start}`)).length;
    findings.push(...allPresentMonth({ id: group.id, providerId: group.providerId }, month, { lessons: scheduled.length, marked: markedScheduled, marks: marked.marks, absent: marked.absent }));
  }
  return findings;
}

/** Record the findings not recorded before and announce each new one. */
async function raise({ tx, now, cause }: Write, municipalityId: string, findings: readonly Finding[]): Promise<void> {
  if (findings.length === 0) return;
  const added = await insertSignals(tx, municipalityId, findings.map((f) => ({ ...f, id: uuidv7({ msecs: now.getTime() }) })), now);
  for (const signal of added) {
    await emit(
      tx,
      SignalRaised,
      { ...cause, municipalityId, aggregateId: signal.id },
      {
        signalId: signal.id,
        kind: signal.kind,
        childId: signal.childId,
        groupIds: signal.groupIds,
        providerIds: signal.providerIds,
        lessonIds: signal.lessonIds,
        evidence: signal.evidence,
        causedAt: now.toISOString(),
      },
      now,
    );
  }
}

/** Its provider cancels a day's lessons, or records the organisation's closure: no lessons that day. */
export async function setDayOff(deps: AttendanceDeps, actor: Actor, command: { groupId: string; date: string; kind: "cancelled" | "closure" }, cause: Cause): Promise<void> {
  await inTransaction(deps, cause, async ({ tx, now }) => {
    const group = await groupOf(tx, command.groupId, true);
    requireGroupProvider(actor, group);
    if (await isMonthClosed(tx, group.municipalityId, monthOf(command.date))) {
      throw attendanceError("MONTH_CLOSED", `${monthOf(command.date)} is closed; the municipality may reopen it`, { field: "date" });
    }
    await addDayOff(tx, group.id, command.date, command.kind, actor.subject, now);
  });
}

/** Its provider says whether the group's lessons are classes or days of care (the catalogue does not tell). */
export async function setLessonKind(deps: AttendanceDeps, actor: Actor, command: { groupId: string; kind: LessonKind }, cause: Cause): Promise<void> {
  await inTransaction(deps, cause, async ({ tx }) => {
    const group = await groupOf(tx, command.groupId, true);
    requireGroupProvider(actor, group);
    await setGroupKind(tx, group.id, command.kind);
  });
}
