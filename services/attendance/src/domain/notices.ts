import type { AbsenceReason } from "@kruzhok/contracts";
import { addDays, formatLocalDate, instantAt, parseLocalDate } from "@kruzhok/time";
import { attendanceError } from "./errors";
import type { AttendanceRules } from "./rules";
import { instantOf, minutesOf } from "./schedule";

/** Reasons that cover a whole group, by the organisation's order. */
export const groupReasons: ReadonlySet<AbsenceReason> = new Set(["quarantine", "repairs"]);
/** Reasons whose proof is a document supplied later; a vacation's proof is the guardian's statement (the notice itself), `other` is never excused. */
export const proofReasons: ReadonlySet<AbsenceReason> = new Set(["illness", "quarantine", "repairs", "rehabilitation"]);

export type ExcusedReason = Exclude<AbsenceReason, "other">;

export interface Notice {
  id: string;
  childId: string | null;
  groupId: string | null;
  reason: AbsenceReason;
  from: string;
  to: string;
  receivedAt: Date;
  onTime: boolean;
  proofDueOn: string | null;
  proofAt: Date | null;
}

/**
 * Whether a notice received at `receivedAt` is on time: by the deadline (09:00 by default) local
 * time on the first day of absence, to the minute. 09:00:59 is "at 09:00" and on time; 09:01 is
 * late. The zone is the municipality's, so one instant is on time in Komi and late in Kamchatka.
 */
export function noticeOnTime(receivedAt: Date, firstDay: string, zone: string, deadline: string): boolean {
  const lateAt = minutesOf(deadline) + 1;
  const lateFrom = instantAt(parseLocalDate(firstDay), zone, Math.floor(lateAt / 60), lateAt % 60).getTime();
  return receivedAt.getTime() < lateFrom;
}

/** The last local day a proof is accepted for an absence that ends on `to`. */
export function proofDueOn(reason: AbsenceReason, to: string, rules: Pick<AttendanceRules, "proofWindowDays">): string | null {
  return proofReasons.has(reason) ? formatLocalDate(addDays(parseLocalDate(to), rules.proofWindowDays)) : null;
}

/**
 * A notice as received: a group's quarantine or repairs names the group and no child, every other
 * reason a child; at most a year long; on time or late by the 09:00 rule; with its proof's due date.
 */
export function decideNotice(
  command: { childId: string | null; groupId: string | null; reason: AbsenceReason; from: string; to: string },
  zone: string,
  rules: Pick<AttendanceRules, "noticeDeadline" | "proofWindowDays">,
  now: Date,
): { onTime: boolean; proofDueOn: string | null } {
  if (command.to < command.from) throw attendanceError("DATES_INVERTED", `the absence ends on ${command.to}, before it starts on ${command.from}`, { field: "to" });
  if (formatLocalDate(addDays(parseLocalDate(command.from), 366)) <= command.to) {
    throw attendanceError("NOTICE_TOO_LONG", "a notice covers at most a year; send another for the rest", { field: "to" });
  }
  const forGroup = groupReasons.has(command.reason);
  if (forGroup && (command.groupId === null || command.childId !== null)) {
    throw attendanceError("NOTICE_SUBJECT", `${command.reason} covers a whole group: name the group and no child`, { field: command.groupId === null ? "groupId" : "childId" });
  }
  if (!forGroup && command.childId === null) {
    throw attendanceError("NOTICE_SUBJECT", `${command.reason} is a child's absence: name the child`, { field: "childId" });
  }
  return { onTime: noticeOnTime(now, command.from, zone, rules.noticeDeadline), proofDueOn: proofDueOn(command.reason, command.to, rules) };
}

/** Every local date of a notice within `year`. */
function daysOfIn(notice: Pick<Notice, "from" | "to">, year: number): string[] {
  const days: string[] = [];
  const first = notice.from > `${year}-01-01` ? notice.from : `${year}-01-01`;
  const last = notice.to < `${year}-12-31` ? notice.to : `${year}-12-31`;
  for (let date = parseLocalDate(first), text = first; text <= last; date = addDays(date, 1), text = formatLocalDate(date)) days.push(text);
  return days;
}

/**
 * The child's excused vacation days of a calendar year, in date order: the days of its on-time
 * vacation notices, each counted once, up to the cap. The cap-plus-first day (the 76th) and after
 * are not in the set: those days are unexcused.
 */
export function excusedVacationDays(notices: readonly Notice[], year: number, cap: number): Set<string> {
  const days = new Set<string>();
  for (const notice of notices) {
    if (notice.reason === "vacation" && notice.onTime) for (const day of daysOfIn(notice, year)) days.add(day);
  }
  return new Set([...days].sort().slice(0, cap));
}

/**
 * Why an absence on `date` is excused, or null when it is not: a notice covering the date
 * (the child's, or a quarantine or repairs of its group) that was on time, whose reason excuses,
 * whose proof came by its due day and by the close (`asOf`), and, for a vacation, within the
 * year's cap. The group's order is looked at first.
 */
export function excuseOf(
  date: string,
  notices: readonly Notice[],
  vacationDays: ReadonlySet<string>,
  zone: string,
  asOf: Date,
): ExcusedReason | null {
  const covering = notices.filter((n) => n.from <= date && date <= n.to).sort((a, b) => Number(b.childId === null) - Number(a.childId === null));
  for (const notice of covering) {
    if (!notice.onTime || notice.reason === "other") continue;
    if (notice.reason === "vacation") {
      if (vacationDays.has(date)) return "vacation";
      continue;
    }
    if (notice.proofAt === null || notice.proofDueOn === null) continue;
    const dueEnd = instantOf(formatLocalDate(addDays(parseLocalDate(notice.proofDueOn), 1)), "00:00", zone).getTime();
    if (notice.proofAt.getTime() < dueEnd && notice.proofAt.getTime() <= asOf.getTime()) return notice.reason;
  }
  return null;
}
