import { addDays, formatLocalDate, isoWeekday, parseLocalDate } from "@kruzhok/time";

/**
 * Public holidays that are days off, for counting a provider's review in working days. The
 * country follows the municipality's zone (Kazakhstan's zones; Russia otherwise: the two
 * countries Kruzhok serves). Fixed-date holidays only, with the rule both labour codes share: a
 * holiday on a Saturday or Sunday moves the day off to the next working day (Russia's Labour
 * Code art. 112 excepts the January holidays, whose transfers the government decrees each year).
 *
 * REVIEW: the yearly government decrees (Russia's moved days, Kazakhstan's bridge days) and
 * movable feasts (Kurban Ait) are not here; a municipality calendar in the registry's year
 * settings would carry them exactly. Until then a deadline may fall a day early around them.
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
