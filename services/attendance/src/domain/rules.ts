import { addWorkingDays, formatLocalDate, parseLocalDate } from "@kruzhok/time";
import { attendanceError } from "./errors";

/**
 * A municipality's attendance rules for one calendar year. A year it has not set uses the seed
 * values below (`defaultRules`), which are the defaults.
 */
export interface AttendanceRules {
  /** Public holidays (YYYY-MM-DD): no lessons, and not working days for the closing day. */
  holidays: string[];
  /** The month locks on this working day of the next month, in the municipality's zone. */
  closingWorkingDay: number;
  /** The Kazakhstan voucher rule: only marks a guardian confirmed are billable. */
  confirmationRequired: boolean;
  /** A notice received after this local time (HH:MM) on the first day of absence is late; at it, on time. */
  noticeDeadline: string;
  /** Days after an absence's last day within which its proof is accepted. */
  proofWindowDays: number;
  /** Vacation days (calendar days) excused per child per calendar year. */
  vacationDaysCap: number;
  /** More groups than this with a child present in one ISO week raises a signal. */
  maxGroupsPerWeek: number;
  /** Marks entered more than this many days after their lessons are late... */
  lateEntryDays: number;
  /** ...and this many late marks in one request are a bulk late entry. */
  bulkLateMarks: number;
}

/** Russia's non-working public holidays that fall on fixed dates (Labour Code, art. 112). */
const russianHolidays = ["01-01", "01-02", "01-03", "01-04", "01-05", "01-06", "01-07", "01-08", "02-23", "03-08", "05-01", "05-09", "06-12", "11-04"];
/** Kazakhstan's fixed-date public holidays (Law on Holidays, art. 1 and 5). */
const kazakhHolidays = ["01-01", "01-02", "01-07", "03-08", "03-21", "03-22", "03-23", "05-01", "05-07", "05-09", "07-06", "08-30", "10-25", "12-16"];

/**
 * The seed rules of a year: the country's fixed-date holidays (by the municipality's currency),
 * closing on the 3rd working day, 09:00 notices, a 10-day proof window, 75 vacation days;
 * confirmation required in Kazakhstan (KZT) only.
 */
export function defaultRules(year: number, currency: "RUB" | "KZT"): AttendanceRules {
  const days = currency === "KZT" ? kazakhHolidays : russianHolidays;
  return {
    holidays: days.map((day) => `${year}-${day}`),
    closingWorkingDay: 3,
    confirmationRequired: currency === "KZT",
    noticeDeadline: "09:00",
    proofWindowDays: 10,
    vacationDaysCap: 75,
    maxGroupsPerWeek: 4,
    lateEntryDays: 7,
    bulkLateMarks: 30,
  };
}

/** Rules a municipality sets must speak of their own year. */
export function checkRules(year: number, rules: AttendanceRules): void {
  rules.holidays.forEach((holiday, index) => {
    if (!holiday.startsWith(`${year}-`)) {
      throw attendanceError("RULES_INVALID", `holiday ${holiday} is not in ${year}`, { field: `holidays.${index}` });
    }
  });
}

/** `YYYY-MM` of a local date. */
export const monthOf = (date: string): string => date.slice(0, 7);

/** The first and last local dates of a month. */
export function monthBounds(month: string): { first: string; last: string } {
  const [year, m] = month.split("-").map(Number) as [number, number];
  const last = new Date(Date.UTC(year, m, 0)).getUTCDate();
  return { first: `${month}-01`, last: `${month}-${String(last).padStart(2, "0")}` };
}

/** The month after `month`. */
export function nextMonth(month: string): string {
  const [year, m] = month.split("-").map(Number) as [number, number];
  return m === 12 ? `${year + 1}-01` : `${year}-${String(m + 1).padStart(2, "0")}`;
}

/** The month before `month`. */
export function previousMonth(month: string): string {
  const [year, m] = month.split("-").map(Number) as [number, number];
  return m === 1 ? `${year - 1}-12` : `${year}-${String(m - 1).padStart(2, "0")}`;
}

/**
 * The local date on which `month` locks: the `closingWorkingDay`-th working day (Monday to Friday,
 * not a holiday of the next month's year) of the next month. `rulesOfNext` are that year's rules.
 */
export function closingDayOf(month: string, rulesOfNext: Pick<AttendanceRules, "holidays" | "closingWorkingDay">): string {
  // addWorkingDays counts from the day after its start: the month's last day.
  return formatLocalDate(addWorkingDays(parseLocalDate(monthBounds(month).last), rulesOfNext.closingWorkingDay, new Set(rulesOfNext.holidays)));
}

/**
 * One setting of a year's rules: in force from `effectiveFrom` (a local date of that year) until
 * a later one takes effect. Nothing is overwritten: a correction is a new version, and a version
 * set later with the same date supersedes the earlier one from that date on.
 */
export interface RulesVersion {
  effectiveFrom: string;
  rules: AttendanceRules;
}

/** A year's rules as kept: the seed defaults (in force before the first version) and the versions, in the order they were set. */
export interface RulesBook {
  year: number;
  defaults: AttendanceRules;
  versions: readonly RulesVersion[];
}

/**
 * The rules in force on a local date: the version with the latest effective date not after it
 * (of two with the same date, the one set later), or the defaults before any took effect.
 */
export function rulesOn(book: RulesBook, date: string): AttendanceRules {
  let found: RulesVersion | undefined;
  for (const version of book.versions) if (version.effectiveFrom <= date && (!found || version.effectiveFrom >= found.effectiveFrom)) found = version;
  return found?.rules ?? book.defaults;
}

/**
 * The year's holidays as the days themselves were governed: a day is a holiday when the rules in
 * force on that day name it. A holiday added from 1 March is not one on 23 February.
 */
export function holidaysOf(book: RulesBook): string[] {
  const candidates = new Set([...book.defaults.holidays, ...book.versions.flatMap((v) => v.rules.holidays)]);
  return [...candidates].filter((day) => rulesOn(book, day).holidays.includes(day)).sort();
}

/**
 * A new version of a year's rules: its holidays in its year, and its effective date in the year
 * and not before today (local): a change takes effect from a date, it does not rewrite the past.
 */
export function decideRulesVersion(year: number, rules: AttendanceRules, effectiveFrom: string, today: string): RulesVersion {
  checkRules(year, rules);
  if (!effectiveFrom.startsWith(`${year}-`)) throw attendanceError("RULES_DATE_OUTSIDE_YEAR", `effective date ${effectiveFrom} is not in ${year}`, { field: "effectiveFrom" });
  if (effectiveFrom < today) throw attendanceError("RULES_RETROACTIVE", `rules cannot take effect on ${effectiveFrom}, before today (${today})`, { field: "effectiveFrom" });
  return { effectiveFrom, rules };
}

/** When a version set without a date takes effect: today, or the year's first day for a year still ahead. */
export function defaultEffectiveFrom(year: number, today: string): string {
  const first = `${year}-01-01`;
  return today < first ? first : today;
}
