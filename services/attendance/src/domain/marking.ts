import type { MarkStatus } from "@kruzhok/contracts";
import { attendanceError } from "./errors";
import { monthOf } from "./rules";
import { lessonAt, type GroupPlan } from "./schedule";

/** One child's mark in a lesson as the provider sends it. */
export interface MarkInput {
  childId: string;
  status: MarkStatus;
}

/** What the decision needs to know of the lesson's state. */
export interface LessonState {
  group: GroupPlan;
  /** Dates without lessons (holidays, exceptions, days off). */
  off: ReadonlySet<string>;
  /** The roster on the lesson's date: child id -> enrollment id. */
  roster: ReadonlyMap<string, string>;
  /** Marks already in the lesson: child id -> status and review. */
  existing: ReadonlyMap<string, { status: MarkStatus; review: string }>;
  /** Whether the lesson's month is closed in its municipality. */
  monthClosed: boolean;
}

export interface MarkWrite {
  childId: string;
  enrollmentId: string;
  status: MarkStatus;
  previous: MarkStatus | null;
}

export interface LessonDecision {
  lesson: ReturnType<typeof lessonAt>;
  /** Marks that change (new ones, or a new status); unchanged ones are not written again. */
  writes: MarkWrite[];
}

/**
 * The provider marks a whole lesson: every child must be on the lesson's roster, the lesson must
 * have started, and its month must be open. A lesson outside the schedule is marked all the same
 * (`onSchedule: false`; a signal follows). `field` prefixes the refusal's field (a sheet's
 * lesson index).
 */
export function decideLessonMarks(
  command: { date: string; start: string; end?: string; marks: readonly MarkInput[] },
  state: LessonState,
  now: Date,
  field = "",
): LessonDecision {
  const lesson = lessonAt(state.group, state.off, command.date, command.start, command.end);
  if (state.group.closedOn !== null && command.date >= state.group.closedOn) {
    throw attendanceError("GROUP_CLOSED", `the group closed on ${state.group.closedOn}`, { field: `${field}date` });
  }
  if (now.getTime() < lesson.startsAt.getTime()) {
    throw attendanceError("LESSON_NOT_STARTED", `the lesson starts at ${lesson.startsAt.toISOString()}; it can be marked from then`, { field: `${field}start` });
  }
  if (state.monthClosed) {
    throw attendanceError("MONTH_CLOSED", `${monthOf(command.date)} is closed; the municipality may reopen it`, { field: `${field}date` });
  }
  const seen = new Set<string>();
  const writes: MarkWrite[] = [];
  command.marks.forEach((mark, index) => {
    if (seen.has(mark.childId)) throw attendanceError("DUPLICATE_CHILD", `child ${mark.childId} is marked twice`, { field: `${field}marks.${index}.childId` });
    seen.add(mark.childId);
    const enrollmentId = state.roster.get(mark.childId);
    if (enrollmentId === undefined) {
      throw attendanceError("NOT_ON_ROSTER", `child ${mark.childId} is not on the roster of the lesson on ${command.date}`, { field: `${field}marks.${index}.childId` });
    }
    const before = state.existing.get(mark.childId);
    if (before?.status === mark.status) return;
    writes.push({ childId: mark.childId, enrollmentId, status: mark.status, previous: before?.status ?? null });
  });
  return { lesson, writes };
}

/** A month's sheet holds lessons of that month only. */
export function checkSheetLesson(month: string, date: string, index: number): void {
  if (monthOf(date) !== month) throw attendanceError("LESSON_NOT_IN_MONTH", `${date} is not in ${month}`, { field: `lessons.${index}.date` });
}
