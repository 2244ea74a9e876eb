import { addYears, formatLocalDate, localDateOf, parseLocalDate } from "@kruzhok/time";
import { catalogueError } from "./errors";

export interface Slot {
  weekday: number;
  start: string;
  end: string;
}

export interface Schedule {
  timeZone: string;
  slots: Slot[];
}

export interface Exception {
  date: string;
  kind: "holiday" | "cancelled";
  note: string | null;
}

export interface GroupPlan {
  capacity: number;
  schedule: Schedule;
  startsOn: string;
  endsOn: string;
  exceptions: Exception[];
}

/** Minutes since local midnight of `HH:MM`. */
export function minutesOf(time: string): number {
  const [hours, minutes] = time.split(":").map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

const weekdays = ["", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/**
 * A group's plan: the schedule is in the municipality's zone (the zone travels with it, so a
 * schedule written for another zone is refused rather than silently shifted), each slot ends
 * after it starts on the same day (no lesson crosses midnight), no two slots of the group
 * overlap, the dates are in order and exceptions fall within them, and the group does not start
 * in the distant past (`today` is the municipality's local date).
 */
export function checkGroupPlan(plan: GroupPlan, municipalityZone: string, today: string): void {
  if (plan.schedule.timeZone !== municipalityZone) {
    throw catalogueError("SCHEDULE_ZONE_MISMATCH", `the schedule must be in the municipality's zone ${municipalityZone}`, {
      field: "schedule.timeZone",
    });
  }
  const slots = plan.schedule.slots.map((slot, index) => ({ ...slot, index, from: minutesOf(slot.start), to: minutesOf(slot.end) }));
  for (const slot of slots) {
    if (slot.to <= slot.from) {
      throw catalogueError("SLOT_INVERTED", `slot ${slot.index} ends at ${slot.end}, not after it starts at ${slot.start}`, {
        field: `schedule.slots.${slot.index}.end`,
      });
    }
  }
  const ordered = [...slots].sort((a, b) => a.weekday - b.weekday || a.from - b.from || a.index - b.index);
  for (let i = 1; i < ordered.length; i++) {
    const before = ordered[i - 1];
    const after = ordered[i];
    if (before && after?.weekday === before.weekday && after.from < before.to) {
      const later = Math.max(before.index, after.index);
      throw catalogueError(
        "SLOTS_OVERLAP",
        `slots ${Math.min(before.index, after.index)} and ${later} overlap on ${weekdays[after.weekday]} (${before.start}-${before.end} and ${after.start}-${after.end})`,
        { field: `schedule.slots.${later}` },
      );
    }
  }
  if (plan.endsOn < plan.startsOn) {
    throw catalogueError("GROUP_DATES_INVERTED", `the group ends on ${plan.endsOn}, before it starts on ${plan.startsOn}`, { field: "endsOn" });
  }
  const earliest = distantPastBefore(today);
  if (plan.startsOn < earliest) {
    throw catalogueError("DATE_IMPLAUSIBLE", `the group starts on ${plan.startsOn}, more than ${PLAUSIBLE_YEARS_BACK} years ago: check the year`, { field: "startsOn" });
  }
  plan.exceptions.forEach((exception, index) => {
    if (exception.date < plan.startsOn || exception.date > plan.endsOn) {
      throw catalogueError("EXCEPTION_OUTSIDE_GROUP", `exception ${exception.date} is outside the group's dates`, {
        field: `exceptions.${index}.date`,
      });
    }
  });
}

/** Capacity can be lowered, but not below the seats already taken. */
export function checkCapacity(capacity: number, activeEnrollments: number): void {
  if (capacity < activeEnrollments) {
    throw catalogueError("CAPACITY_BELOW_ENROLLED", `${activeEnrollments} children are enrolled; capacity cannot go below that`, {
      field: "capacity",
    });
  }
}

/** A closed group stays as it was: its plan is no longer edited. */
export function checkGroupOpen(status: "open" | "closed"): void {
  if (status === "closed") throw catalogueError("GROUP_CLOSED", "the group is closed");
}

/** Today's date on the municipality's calendar, YYYY-MM-DD: the day rules about dates are checked on. */
export function todayIn(zone: string, now: Date): string {
  return formatLocalDate(localDateOf(now, zone));
}

/** How far back a group's start or a certification's date may lie: further is a typing slip (1900 for 2026), not a record. */
export const PLAUSIBLE_YEARS_BACK = 5;

/** The first plausible date, `PLAUSIBLE_YEARS_BACK` years before `today` (YYYY-MM-DD). */
export function distantPastBefore(today: string): string {
  return formatLocalDate(addYears(parseLocalDate(today), -PLAUSIBLE_YEARS_BACK));
}
