import type { LessonKind } from "@kruzhok/contracts";
import { addDays, formatLocalDate, instantAt, isoWeekday, localDateOf, parseLocalDate } from "@kruzhok/time";
import { attendanceError } from "./errors";

// Lessons come from a group's weekly schedule in its municipality's zone: every slot on every
// date of the group's span, minus public holidays (the municipality's calendar), the catalogue's
// exceptions (holidays, cancellations) and the provider's own days off (cancellations,
// closures), and nothing after the group closed.

export interface Slot {
  weekday: number;
  start: string;
  end: string;
}

/** What attendance keeps of a group: the catalogue's snapshot, its kind and its closing. */
export interface GroupPlan {
  id: string;
  municipalityId: string;
  providerId: string;
  programId: string | null;
  timeZone: string;
  slots: Slot[];
  startsOn: string;
  endsOn: string;
  /** Dates the catalogue says have no lessons (holidays, cancellations). */
  exceptions: { date: string }[];
  kind: LessonKind;
  /** The local date the group closed on; no lessons from it on. */
  closedOn: string | null;
}

/** A lesson of the schedule, in local time. */
export interface PlannedLesson {
  date: string;
  start: string;
  end: string;
}

/** Dates without lessons for a group: the municipality's holidays, the catalogue's exceptions, the provider's days off. */
export function daysWithoutLessons(group: Pick<GroupPlan, "exceptions">, holidays: readonly string[], daysOff: readonly string[]): Set<string> {
  return new Set([...holidays, ...group.exceptions.map((e) => e.date), ...daysOff]);
}

/** The lessons of the group's schedule from `from` to `to` (inclusive local dates), in date and time order. */
export function plannedLessons(group: GroupPlan, off: ReadonlySet<string>, from: string, to: string): PlannedLesson[] {
  const first = from > group.startsOn ? from : group.startsOn;
  let last = to < group.endsOn ? to : group.endsOn;
  if (group.closedOn !== null && group.closedOn <= last) last = formatLocalDate(addDays(parseLocalDate(group.closedOn), -1));
  if (first > last) return [];
  const byWeekday = new Map<number, Slot[]>();
  for (const slot of [...group.slots].sort((a, b) => a.start.localeCompare(b.start))) {
    byWeekday.set(slot.weekday, [...(byWeekday.get(slot.weekday) ?? []), slot]);
  }
  const lessons: PlannedLesson[] = [];
  let date = parseLocalDate(first);
  let text = first;
  let weekday = isoWeekday(date);
  while (text <= last) {
    if (!off.has(text)) {
      for (const slot of byWeekday.get(weekday) ?? []) lessons.push({ date: text, start: slot.start, end: slot.end });
    }
    date = addDays(date, 1);
    text = formatLocalDate(date);
    weekday = weekday === 7 ? 1 : weekday + 1;
  }
  return lessons;
}

/** Minutes since local midnight of `HH:MM`. */
export function minutesOf(time: string): number {
  const [hours, minutes] = time.split(":").map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

/** The instant a local date and `HH:MM` show in `zone`. */
export function instantOf(date: string, time: string, zone: string): Date {
  const minutes = minutesOf(time);
  return instantAt(parseLocalDate(date), zone, Math.floor(minutes / 60), minutes % 60);
}

/** Today's local date in `zone`. */
export function localDate(now: Date, zone: string): string {
  return formatLocalDate(localDateOf(now, zone));
}

/**
 * The lesson a provider marks, by its date and start: the schedule's lesson when there is one
 * (its end from the slot), otherwise a lesson outside the schedule (on a day without lessons, or
 * at a time no slot starts), which is marked all the same and raises a signal; its end is then
 * the one given, or the start plus 45 minutes.
 */
export function lessonAt(
  group: GroupPlan,
  off: ReadonlySet<string>,
  date: string,
  start: string,
  end: string | undefined,
): PlannedLesson & { onSchedule: boolean; startsAt: Date; endsAt: Date } {
  const planned = plannedLessons(group, off, date, date).find((lesson) => lesson.start === start);
  const finish = planned?.end ?? end ?? endAfter(start, 45);
  if (minutesOf(finish) <= minutesOf(start)) {
    throw attendanceError("LESSON_TIME_INVALID", `the lesson ends at ${finish}, not after it starts at ${start}`, { field: "end" });
  }
  return {
    date,
    start,
    end: finish,
    onSchedule: planned !== undefined,
    startsAt: instantOf(date, start, group.timeZone),
    endsAt: instantOf(date, finish, group.timeZone),
  };
}

function endAfter(start: string, minutes: number): string {
  const total = Math.min(minutesOf(start) + minutes, 23 * 60 + 59);
  return `${String(Math.floor(total / 60)).padStart(2, "0")}:${String(total % 60).padStart(2, "0")}`;
}
