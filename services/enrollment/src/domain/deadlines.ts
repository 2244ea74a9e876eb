import { addDays, formatLocalDate, instantAt, isoWeekday, localDateOf, parseLocalDate, type CalendarDate } from "@kruzhok/time";
import { publicHolidays, type WorkingCalendar } from "./holidays";

/**
 * Deadlines end at the end of a local day in the municipality's zone: the deadline instant is
 * local midnight starting the next day, and something is late when `now >= deadline`. So an
 * offer made at 23:59 on Friday in Kamchatka with 1 day to accept runs to the end of Saturday
 * there, whatever day it is in UTC.
 */

function endOfLocalDay(date: CalendarDate, zone: string): Date {
  return instantAt(addDays(date, 1), zone);
}

/** The family has `days` calendar days after today (local) to accept: the end of the last one. */
export function offerDeadline(now: Date, zone: string, days: number): Date {
  return endOfLocalDay(addDays(localDateOf(now, zone), days), zone);
}

/**
 * The provider has `workingDays` working days (Monday-Friday, minus public holidays) after today
 * (local) to review: the end of the last one. A Saturday application counts from Monday. The
 * holidays are the zone's country's (see holidays.ts) unless the caller gives its own: a set of
 * days off, or a municipality's working calendar (its days off and weekend days decreed working).
 */
export function reviewDeadline(now: Date, zone: string, workingDays: number, calendar?: ReadonlySet<string> | WorkingCalendar): Date {
  const today = localDateOf(now, zone);
  const { daysOff, workingDays: decreed }: WorkingCalendar =
    calendar === undefined
      ? { daysOff: publicHolidays(zone, [today.year, today.year + 1]), workingDays: new Set() }
      : "daysOff" in calendar
        ? calendar
        : { daysOff: calendar, workingDays: new Set() };
  // A weekday not off, or a weekend day decreed working.
  let day = today;
  for (let left = workingDays; left > 0; ) {
    day = addDays(day, 1);
    const text = formatLocalDate(day);
    if (decreed.has(text) || (isoWeekday(day) <= 5 && !daysOff.has(text))) left--;
  }
  return endOfLocalDay(day, zone);
}

/** The calendar day before `date` (YYYY-MM-DD). */
export function dayBefore(date: string): string {
  return formatLocalDate(addDays(parseLocalDate(date), -1));
}

export function localDay(now: Date, zone: string): string {
  return formatLocalDate(localDateOf(now, zone));
}
