import { v7 as uuidv7 } from "uuid";
import type { Actor } from "@kruzhok/actor";
import { LessonMarked, SignalRaised, type LessonKind } from "@kruzhok/contracts";
import { emit, newEvent, type Cause } from "@kruzhok/messaging";
import { GroupCommit, type PoolClient } from "@kruzhok/postgres";
import { attendanceError } from "../domain/errors";
import { checkSheetLesson, decideLessonMarks, type MarkInput } from "../domain/marking";
import { onRosterOn } from "../domain/roster";
import { holidaysOf, monthBounds, monthOf, rulesOn, type RulesBook } from "../domain/rules";
import { daysWithoutLessons, lessonAt, localDate, plannedLessons, type GroupPlan } from "../domain/schedule";
import { allPresentMonth, bulkLateEntry, outsideSchedule, overlappingLessons, tooManyGroups, weekOf, type Finding } from "../domain/signals";
import { addDayOff, groupMonthMarks, lessonContext, lockChildren, openLesson, writeMarks } from "../store/lessons";
import { isMonthClosed } from "../store/months";
import { setGroupKind } from "../store/projections";
import { insertSignals } from "../store/signals";
import type { AttendanceDeps } from "../deps";
import { requireGroupProvider } from "./access";
import { bookOf, groupOf, planOf } from "./context";
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
function markLessons(deps: AttendanceDeps, actor: Actor, command: { groupId: string; lessons: LessonCommand[] }, cause: Cause, prefix: string): Promise<MarkedLessonView[]> {
  return inTransaction(deps, cause, (write) => markLessonsIn(write, actor, command, prefix));
}

/** `markLessons` in the caller's transaction. */
async function markLessonsIn(write: Write, actor: Actor, command: { groupId: string; lessons: LessonCommand[] }, prefix: string): Promise<MarkedLessonView[]> {
  const { tx, now } = write;
  const lessonYears = [...new Set(command.lessons.map((l) => Number(l.date.slice(0, 4))))];
  // The children's locks are taken here, before any lesson's (see lessonContext). The rules of
  // the lessons' years and of today's (whichever it is in the group's zone, a day either side of UTC's).
  const utcYear = now.getUTCFullYear();
  const years = [...new Set([...lessonYears, utcYear - 1, utcYear, utcYear + 1])];
  const context = await lessonContext(tx, command.groupId, years, [...new Set(command.lessons.flatMap((l) => l.marks.map((m) => m.childId)))]);
  if (!context) throw attendanceError("GROUP_NOT_FOUND", `no group ${command.groupId}`);
  const group = planOf(context.group);
  requireGroupProvider(actor, group);
  const books = new Map<number, RulesBook>();
  const bookFor = (year: number): RulesBook => {
    let book = books.get(year);
    if (!book) books.set(year, (book = bookOf(year, context.currency, context.rules.get(year) ?? [])));
    return book;
  };
  // Each thing is decided by the rules in force on its day: a lesson's holidays and week by the
  // lesson's date, how late marks are entered by today's (in the group's zone).
  const rulesOnDay = (date: string) => rulesOn(bookFor(Number(date.slice(0, 4))), date);
  const off = daysWithoutLessons(group, lessonYears.flatMap((year) => holidaysOf(bookFor(year))), context.daysOff);
  const findings: Finding[] = [];
  const views: MarkedLessonView[] = [];
  const late: { id: string; endsAt: Date; marks: number }[] = [];

  for (const [index, lessonCommand] of command.lessons.entries()) {
    const field = prefix === "" ? "" : `${prefix}${index}.`;
    const roster = new Map(context.enrollments.filter((e) => onRosterOn(e, group.timeZone, lessonCommand.date)).map((e) => [e.childId, e.id]));
    const planned = lessonAt(group, off, lessonCommand.date, lessonCommand.start, lessonCommand.end);
    const lessonRow = { id: uuidv7({ msecs: now.getTime() }), groupId: group.id, municipalityId: group.municipalityId, providerId: group.providerId, kind: group.kind, ...planned };
    // A refusal rolls the lesson row back with the rest of the transaction: nothing is written.
    const { id: lessonId, monthClosed, existing } = await openLesson(tx, lessonRow, monthOf(lessonCommand.date));
    const { lesson, writes } = decideLessonMarks(lessonCommand, { group, off, roster, existing, monthClosed }, now, field);
    const row = { ...lessonRow, id: lessonId };
    views.push({ lessonId, date: lesson.date, start: lesson.start, end: lesson.end, onSchedule: lesson.onSchedule, changed: writes.length });
    if (writes.length === 0) continue;
    const event = newEvent(
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
    const around = await writeMarks(tx, row, writes, { subject: actor.subject, role: actor.role }, now, { topic: LessonMarked.topic, event }, weekOf(lesson.date));
    late.push({ id: lessonId, endsAt: lesson.endsAt, marks: writes.length });
    findings.push(...(await signalsOfLesson(write, group, { ...row, ...lesson, id: lessonId }, writes, around, off, rulesOnDay(lesson.date))));
  }
  if (late.length > 0) findings.push(...bulkLateEntry({ id: group.id, providerId: group.providerId }, late, now, rulesOnDay(localDate(now, group.timeZone))));
  await raise(write, group.municipalityId, findings);
  return views;
}

/** One lesson a provider marks, waiting for its batch (`MarkingBatcher`). */
interface QueuedLesson {
  actor: Actor;
  command: { groupId: string } & LessonCommand;
  cause: Cause;
}

/**
 * Group commit of single lessons (`GroupCommit`): lessons marked at the same time by providers share
 * one transaction, each decided and written as if alone, in arrival order. On this machine a
 * lesson's time went to its round trips to Postgres, not to its work (BENCHMARKS.md, 2026-12-04):
 * a batch pays BEGIN, COMMIT and the WAL flush once. Every child of the batch is locked first, in
 * one order, so that two batches cannot wait for each other's children. A lesson refused makes
 * its batch fail as a whole: each of its lessons then goes again in a transaction of its own.
 */
export class MarkingBatcher {
  private readonly commits: GroupCommit<QueuedLesson, MarkedLessonView>;

  constructor(
    private readonly deps: AttendanceDeps,
    options: { maxBatch?: number; maxConcurrentBatches?: number } = {},
  ) {
    this.commits = new GroupCommit(deps.pool, (tx, lessons) => this.markTogether(tx, lessons), {
      // 16 and 4 marked more lessons a second than 8 and 12 (535 against 522, BENCHMARKS.md).
      maxBatch: options.maxBatch ?? 16,
      maxConcurrentBatches: options.maxConcurrentBatches ?? 4,
    });
  }

  /** Mark one lesson with the next batch. */
  mark(actor: Actor, command: { groupId: string } & LessonCommand, cause: Cause): Promise<MarkedLessonView> {
    return this.commits.submit({ actor, command, cause });
  }

  private async markTogether(tx: PoolClient, lessons: readonly QueuedLesson[]): Promise<PromiseSettledResult<MarkedLessonView>[]> {
    if (lessons.length > 1) await lockChildren(tx, lessons.flatMap((l) => l.command.marks.map((m) => m.childId)));
    const outcomes: PromiseSettledResult<MarkedLessonView>[] = [];
    for (const { actor, command, cause } of lessons) {
      const write = { tx, now: this.deps.clock(), cause };
      const [view] = await markLessonsIn(write, actor, { groupId: command.groupId, lessons: [command] }, "");
      outcomes.push({ status: "fulfilled", value: view! });
    }
    return outcomes;
  }
}

/** The signals one lesson's new marks cause (domain/signals.ts decides; the store finds the evidence). */
async function signalsOfLesson(
  { tx }: Write,
  group: GroupPlan,
  lesson: { id: string; groupId: string; providerId: string; date: string; start: string; startsAt: Date; endsAt: Date; onSchedule: boolean },
  writes: readonly { childId: string; status: string }[],
  around: Awaited<ReturnType<typeof writeMarks>>,
  off: ReadonlySet<string>,
  rules: { maxGroupsPerWeek: number },
): Promise<Finding[]> {
  const findings: Finding[] = [...outsideSchedule(lesson, writes.length)];
  findings.push(...overlappingLessons(lesson, around.overlaps));
  // The store told the other groups of the week; this lesson's is one more.
  const week = weekOf(lesson.date);
  const self = { groupId: lesson.groupId, providerId: lesson.providerId };
  for (const [childId, groups] of around.week) findings.push(...tooManyGroups(childId, week, [self, ...groups], rules));
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
