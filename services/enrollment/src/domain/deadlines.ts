import { addDays, addWorkingDays, formatLocalDate, instantAt, localDateOf, type LocalDate } from "@kruzhok/time";

/**
 * Deadlines end at the end of a local day in the municipality's zone: the deadline instant is
 * local midnight starting the next day, and something is late when `now >= deadline`. So an
 * offer made at 23:59 on Friday in Kamchatka with 1 day to accept runs to the end of Saturday
 * there, whatever day it is in UTC.
 */

function endOfLocalDay(date: LocalDate, zone: string): Date {
  return instantAt(addDays(date, 1), zone);
}

/** The family has `days` calendar days after today (local) to accept: the end of the last one. */
export function offerDeadline(now: Date, zone: string, days: number): Date {
  return endOfLocalDay(addDays(localDateOf(now, zone), days), zone);
}

/**
 * The provider has `workingDays` working days (Monday-Friday, minus `holidays`) after today
 * (local) to review: the end of the last one. A Saturday application counts from Monday.
 */
export function reviewDeadline(now: Date, zone: string, workingDays: number, holidays: ReadonlySet<string> = new Set()): Date {
  return endOfLocalDay(addWorkingDays(localDateOf(now, zone), workingDays, holidays), zone);
}

export function localDay(now: Date, zone: string): string {
  return formatLocalDate(localDateOf(now, zone));
}
