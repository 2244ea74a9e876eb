/**
 * Calendar arithmetic in a municipality's zone. Instants are stored in UTC; deadlines, ages,
 * month ends and the new year are decided in local time (Kamchatka is UTC+12, so its 1 January
 * begins at noon of 31 December in UTC). Pure functions over Intl: no dependency, no clock.
 */

/**
 * A calendar date with no zone, as numbers; months are 1-12. Its text form `YYYY-MM-DD` is
 * the contracts' `LocalDate` (`parseLocalDate`, `formatLocalDate`).
 */
export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let found = formatters.get(zone);
  if (!found) {
    found = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(zone, found);
  }
  return found;
}

interface LocalDateTime extends CalendarDate {
  hour: number;
  minute: number;
  second: number;
}

/** The wall clock in `zone` at `instant`, through Intl (some microseconds a call). */
function localPartsOfIntl(instant: Date, zone: string): LocalDateTime {
  const parts: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(instant)) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? NaN,
    month: parts.month ?? NaN,
    day: parts.day ?? NaN,
    hour: parts.hour ?? NaN,
    minute: parts.minute ?? NaN,
    second: parts.second ?? NaN,
  };
}

/**
 * The zone's offset (local wall clock minus UTC, in milliseconds, a whole number of seconds) for
 * each UTC minute asked recently. Offsets change only at whole minutes of UTC (every transition
 * since the zones left local mean time), so within one minute it is one number: Intl's
 * formatToParts is asked once a minute per zone instead of on every call: on an opening day
 * every application asks for its local day and year, and Intl was a measurable share of
 * enrollment's CPU (BENCHMARKS.md).
 */
const offsetsByMinute = new Map<string, number>();
const OFFSETS_KEPT = 4_096;

function localParts(instant: Date, zone: string): LocalDateTime {
  const ms = instant.getTime();
  if (!Number.isFinite(ms)) return localPartsOfIntl(instant, zone);
  const key = `${zone} ${Math.floor(ms / 60_000)}`;
  const offset = offsetsByMinute.get(key);
  if (offset === undefined) {
    const parts = localPartsOfIntl(instant, zone);
    const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
    if (offsetsByMinute.size >= OFFSETS_KEPT) offsetsByMinute.clear();
    // Years 0-99 would be read by Date.UTC as 1900-1999: not kept, asked of Intl each time.
    if (parts.year >= 100) offsetsByMinute.set(key, wall - Math.floor(ms / 1_000) * 1_000);
    return parts;
  }
  const wall = new Date(ms + offset);
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    second: wall.getUTCSeconds(),
  };
}

/** The date on the wall calendar in `zone` at `instant`. */
export function localDateOf(instant: Date, zone: string): CalendarDate {
  const { year, month, day } = localParts(instant, zone);
  return { year, month, day };
}

/** Offset of `zone` from UTC at `instant`, in minutes (Kamchatka: +720). */
export function zoneOffsetMinutes(instant: Date, zone: string): number {
  const p = localParts(instant, zone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(instant.getTime() / 1000) * 1000) / 60_000);
}

/** The instant at which the local wall clock in `zone` shows `date` at hh:mm (DST-safe). */
export function instantAt(date: CalendarDate, zone: string, hour = 0, minute = 0): Date {
  const guess = new Date(Date.UTC(date.year, date.month - 1, date.day, hour, minute));
  // Two passes settle the offset even across a DST change.
  let instant = new Date(guess.getTime() - zoneOffsetMinutes(guess, zone) * 60_000);
  instant = new Date(guess.getTime() - zoneOffsetMinutes(instant, zone) * 60_000);
  return instant;
}

export function parseLocalDate(text: string): CalendarDate {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) throw new RangeError(`not a date: ${text}`);
  const date = { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
  if (!isValidDate(date)) throw new RangeError(`not a date: ${text}`);
  return date;
}

export function formatLocalDate(date: CalendarDate): string {
  return `${String(date.year).padStart(4, "0")}-${String(date.month).padStart(2, "0")}-${String(date.day).padStart(2, "0")}`;
}

export function isValidDate(date: CalendarDate): boolean {
  const probe = new Date(Date.UTC(date.year, date.month - 1, date.day));
  return probe.getUTCFullYear() === date.year && probe.getUTCMonth() === date.month - 1 && probe.getUTCDate() === date.day;
}

export function compareDates(a: CalendarDate, b: CalendarDate): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}

export function addDays(date: CalendarDate, days: number): CalendarDate {
  const probe = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: probe.getUTCFullYear(), month: probe.getUTCMonth() + 1, day: probe.getUTCDate() };
}

export function addYears(date: CalendarDate, years: number): CalendarDate {
  // 29 February plus one year is 28 February.
  const target = { year: date.year + years, month: date.month, day: date.day };
  return isValidDate(target) ? target : { ...target, day: target.day - 1 };
}

/** Full years between a birth date and `on`; someone born on 29 February ages on 1 March in common years. */
export function ageOn(birth: CalendarDate, on: CalendarDate): number {
  let age = on.year - birth.year;
  if (on.month < birth.month || (on.month === birth.month && on.day < birth.day)) age--;
  return age;
}

/** Whole days from `from` to `to` (negative when `to` is earlier): how many days are left until a date. */
export function daysBetween(from: CalendarDate, to: CalendarDate): number {
  return Math.round((Date.UTC(to.year, to.month - 1, to.day) - Date.UTC(from.year, from.month - 1, from.day)) / 86_400_000);
}

/** Monday = 1 ... Sunday = 7. */
export function isoWeekday(date: CalendarDate): number {
  const day = new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
  return day === 0 ? 7 : day;
}

/** The date `days` working days (Monday-Friday, minus `holidays`) after `date`. */
export function addWorkingDays(date: CalendarDate, days: number, holidays: ReadonlySet<string> = new Set()): CalendarDate {
  let current = date;
  let left = days;
  while (left > 0) {
    current = addDays(current, 1);
    if (isoWeekday(current) <= 5 && !holidays.has(formatLocalDate(current))) left--;
  }
  return current;
}
