import { addDays, formatLocalDate, isoWeekday, parseLocalDate } from "@kruzhok/time";
import { enrollmentError } from "./errors";
import { checkEffectiveFrom, inForceOn, type Dated } from "./settings";

/**
 * Public holidays that are days off, for counting a provider's review in working days. The
 * country follows the municipality's zone (Kazakhstan's zones; Russia otherwise: the two
 * countries Kruzhok serves). Fixed-date holidays only, with the rule both labour codes share: a
 * holiday on a Saturday or Sunday moves the day off to the next working day (Russia's Labour
 * Code art. 112 excepts the January holidays, whose transfers the government decrees each year).
 *
 * The yearly government decrees (Russia's moved days, Kazakhstan's bridge days) and movable
 * feasts (Kurban Ait) are data: a municipality's official sets each year's calendar
 * (`workingCalendar` below), which replaces these defaults for that year from the date it takes effect.
 */

const KAZAKHSTAN_ZONES = new Set(["Asia/Almaty", "Asia/Qostanay", "Asia/Qyzylorda", "Asia/Aqtobe", "Asia/Aqtau", "Asia/Atyrau", "Asia/Oral"]);

/** Month-day of each holiday; `moves: false` when a weekend holiday gives no day off in lieu. */
const RUSSIA: readonly { day: string; moves: boolean }[] = [
  ...["01-01", "01-02", "01-03", "01-04", "01-05", "01-06", "01-07", "01-08"].map((day) => ({ day, moves: false })),
  ...["02-23", "03-08", "05-01", "05-09", "06-12", "11-04"].map((day) => ({ day, moves: true })),
];
// Kazakhstan's Labour Code art. 85: a holiday on a day off moves to the next working day, except
// the religious ones (Orthodox Christmas on 7 January, Kurban Ait), which move to no other day.
const KAZAKHSTAN_RELIGIOUS = new Set(["01-07"]);
const KAZAKHSTAN: readonly { day: string; moves: boolean }[] = [
  "01-01", "01-02", "01-07", "03-08", "03-21", "03-22", "03-23", "05-01", "05-07", "05-09", "07-06", "08-30", "10-25", "12-16",
].map((day) => ({ day, moves: !KAZAKHSTAN_RELIGIOUS.has(day) }));

export function countryOfZone(zone: string): "KZ" | "RU" {
  return KAZAKHSTAN_ZONES.has(zone) ? "KZ" : "RU";
}

/** The public days off of `years` in the zone's country, as local dates (YYYY-MM-DD). */
export function publicHolidays(zone: string, years: readonly number[]): Set<string> {
  const calendar = countryOfZone(zone) === "KZ" ? KAZAKHSTAN : RUSSIA;
  const off = new Set<string>();
  for (const year of years) {
    const dates = calendar.map((h) => ({ date: parseLocalDate(`${year}-${h.day}`), moves: h.moves }));
    for (const { date } of dates) off.add(formatLocalDate(date));
    for (const { date, moves } of dates) {
      if (!moves || isoWeekday(date) <= 5) continue;
      // The next day that is neither a weekend nor a holiday (nor a day off given already).
      let lieu = addDays(date, 1);
      while (isoWeekday(lieu) > 5 || off.has(formatLocalDate(lieu))) lieu = addDays(lieu, 1);
      off.add(formatLocalDate(lieu));
    }
  }
  return off;
}

/** Days off and the weekend days decreed working days, as local dates (YYYY-MM-DD). */
export interface WorkingCalendar {
  daysOff: ReadonlySet<string>;
  workingDays: ReadonlySet<string>;
}

/** One setting of a year's calendar, in force from `effectiveFrom` (a local date of that year) until a later one takes effect. */
export interface CalendarVersion extends Dated {
  daysOff: readonly string[];
  workingDays: readonly string[];
}

/**
 * A year's calendar in force on a local date: the version of that year in force then
 * (domain/settings.ts), or the country's fixed holidays before any took effect (`effectiveFrom` null).
 * `versions` are the year's, in the order they were set.
 */
export function calendarOn(zone: string, year: number, versions: readonly CalendarVersion[], date: string): { effectiveFrom: string | null; daysOff: string[]; workingDays: string[] } {
  const version = inForceOn(versions, date);
  return version
    ? { effectiveFrom: version.effectiveFrom, daysOff: [...version.daysOff], workingDays: [...version.workingDays] }
    : { effectiveFrom: null, daysOff: [...publicHolidays(zone, [year])].sort(), workingDays: [] };
}

/**
 * The calendar of `years` in the zone, each day as the version in force on that day has it: a
 * year's calendar the municipality set (its official keeps the decreed transfers, Kurban Ait and
 * the working Saturdays) replaces the country's fixed holidays from the date it takes effect, and
 * the days before stay as the version before (or the fixed holidays) had them. So a day off added
 * from 1 May counts for a deadline running into May, and does not make 30 April a day off.
 * (A review deadline is set once, at submission, with the versions known then: a version saved
 * later does not move a deadline already given to the provider and the family.)
 */
export function workingCalendar(zone: string, years: readonly number[], set: readonly (CalendarVersion & { year: number })[]): WorkingCalendar {
  const daysOff = new Set<string>();
  const workingDays = new Set<string>();
  for (const year of years) {
    const defaults = publicHolidays(zone, [year]);
    const versions = set.filter((c) => c.year === year);
    if (versions.length === 0) {
      for (const day of defaults) daysOff.add(day);
      continue;
    }
    const on = (day: string) => inForceOn(versions, day);
    for (const day of new Set([...defaults, ...versions.flatMap((v) => v.daysOff)])) {
      const version = on(day);
      if (version ? version.daysOff.includes(day) : defaults.has(day)) daysOff.add(day);
    }
    for (const day of new Set(versions.flatMap((v) => v.workingDays))) if (on(day)?.workingDays.includes(day)) workingDays.add(day);
  }
  return { daysOff, workingDays };
}

/**
 * A new version of a year's calendar: its days as `checkCalendar` wants them (each listed once,
 * in order), and its effective date in the year and not before today (local).
 */
export function decideCalendarVersion(year: number, calendar: { daysOff: readonly string[]; workingDays: readonly string[] }, effectiveFrom: string, today: string): CalendarVersion {
  checkCalendar(year, calendar.daysOff, calendar.workingDays);
  checkEffectiveFrom(effectiveFrom, today, year);
  return { effectiveFrom, daysOff: [...new Set(calendar.daysOff)].sort(), workingDays: [...new Set(calendar.workingDays)].sort() };
}

/**
 * A year's calendar as an official sets it: every date within the year, a working day only on a
 * Saturday or Sunday (the decreed transfers), no date both off and working. Refusals name the field.
 */
export function checkCalendar(year: number, daysOff: readonly string[], workingDays: readonly string[]): void {
  daysOff.forEach((day, index) => {
    if (!day.startsWith(`${year}-`)) throw enrollmentError("CALENDAR_INVALID", `${day} is not in ${year}`, { field: `daysOff.${index}` });
  });
  workingDays.forEach((day, index) => {
    if (!day.startsWith(`${year}-`)) throw enrollmentError("CALENDAR_INVALID", `${day} is not in ${year}`, { field: `workingDays.${index}` });
    if (isoWeekday(parseLocalDate(day)) <= 5) {
      throw enrollmentError("CALENDAR_INVALID", `${day} is a weekday, a working day already: list only the Saturdays and Sundays decreed working`, { field: `workingDays.${index}` });
    }
    if (daysOff.includes(day)) throw enrollmentError("CALENDAR_INVALID", `${day} cannot be both a day off and a working day`, { field: `workingDays.${index}` });
  });
}
