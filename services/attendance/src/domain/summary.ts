import type { MarkStatus } from "@kruzhok/contracts";
import { excuseOf, type ExcusedReason, type Notice } from "./notices";
import { monthBounds } from "./rules";
import { rosterSpan, type EnrollmentSpan } from "./roster";
import { plannedLessons, type GroupPlan } from "./schedule";

export interface MarkFact {
  date: string;
  start: string;
  status: MarkStatus;
  review: "none" | "confirmed" | "disputed" | "resolved";
}

export interface MonthCounts {
  scheduled: number;
  present: number;
  excused: Record<ExcusedReason, number>;
  unexcused: number;
  unmarked: number;
  disputed: number;
  unconfirmed: number;
  billable: number;
}

/**
 * One enrollment's month as payments bills it. Its lessons are the schedule's while the child was
 * on the roster, plus any lesson it was marked in outside the schedule. A present mark is billable
 * unless disputed (until an operator resolves it) or, where confirmation is required, not
 * confirmed by a guardian. An absence is excused by `excuseOf`; an unmarked lesson is neither.
 */
export function summariseMonth(input: {
  month: string;
  enrollment: Pick<EnrollmentSpan, "startedAt" | "endedAt">;
  group: GroupPlan;
  off: ReadonlySet<string>;
  marks: readonly MarkFact[];
  notices: readonly Notice[];
  vacationDays: ReadonlySet<string>;
  confirmationRequired: boolean;
  asOf: Date;
}): MonthCounts {
  const { first, last } = monthBounds(input.month);
  const span = rosterSpan(input.enrollment, input.group.timeZone);
  const lessons = new Set<string>();
  if (span) {
    const from = span.from > first ? span.from : first;
    let to = last;
    if (span.until !== null && span.until <= last) to = dayBefore(span.until);
    for (const lesson of plannedLessons(input.group, input.off, from, to)) lessons.add(`${lesson.date} ${lesson.start}`);
  }
  const counts: MonthCounts = {
    scheduled: 0,
    present: 0,
    excused: { illness: 0, vacation: 0, quarantine: 0, repairs: 0, rehabilitation: 0 },
    unexcused: 0,
    unmarked: 0,
    disputed: 0,
    unconfirmed: 0,
    billable: 0,
  };
  const marked = new Set<string>();
  for (const mark of input.marks) {
    if (mark.date < first || mark.date > last) continue;
    marked.add(`${mark.date} ${mark.start}`);
    if (mark.review === "disputed") counts.disputed++;
    if (mark.status === "present") {
      counts.present++;
      const unconfirmed = input.confirmationRequired && mark.review === "none";
      if (unconfirmed) counts.unconfirmed++;
      if (mark.review !== "disputed" && !unconfirmed) counts.billable++;
    } else {
      const reason = excuseOf(mark.date, input.notices, input.vacationDays, input.group.timeZone, input.asOf);
      if (reason) counts.excused[reason]++;
      else counts.unexcused++;
    }
  }
  for (const key of lessons) if (!marked.has(key)) counts.unmarked++;
  counts.scheduled = new Set([...lessons, ...marked]).size;
  return counts;
}

function dayBefore(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}
