// What an enrollment is expected to cost its certificate to the end of the year or of the group,
// whichever comes first. Pure.
import { lessonPrice, type BillingRules } from "./billing";

function dayNumber(date: string): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / 86_400_000);
}

/** The `YYYY-MM` of a day number, and the day number of the next month's first day. */
function monthOfDay(day: number): { month: string; next: number } {
  const date = new Date(day * 86_400_000);
  return { month: date.toISOString().slice(0, 7), next: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) / 86_400_000 };
}

/**
 * Lessons left = lessons a week x weeks left (rounded up) from `today`, or the group's first day
 * if later, to the end; each costs the certificate the lesson price up to the normative. A free or
 * paid program reserves nothing. The normative is the one that will bill each lesson's month: the
 * rules in force on the month's first day (`rulesOfMonth`; domain/billing-rules.ts, billedOn).
 * Months priced alike are counted together, so that one set of rules reserves what it did before
 * rules had versions; a change of price starts a new run of weeks (each rounded up).
 */
export function expectedCost(
  group: { pricePerHour: number; lessonMinutes: number; lessonsPerWeek: number; fundingKind: string; startsOn?: string | null; endsOn: string },
  rulesOfMonth: (month: string) => BillingRules,
  today: string,
  year: number,
): number {
  if (group.fundingKind !== "financed") return 0;
  const end = Math.min(dayNumber(group.endsOn), dayNumber(`${year}-12-31`));
  const start = Math.max(dayNumber(today), group.startsOn ? dayNumber(group.startsOn) : -Infinity);
  if (end < start) return 0;
  const perLesson = (month: string) => Math.min(lessonPrice(group.pricePerHour, group.lessonMinutes), lessonPrice(rulesOfMonth(month).normativePerHour, group.lessonMinutes));
  const run = (from: number, to: number, price: number) => group.lessonsPerWeek * Math.ceil((to - from + 1) / 7) * price;
  let cost = 0;
  let from = start;
  let price = perLesson(monthOfDay(start).month);
  for (let first = monthOfDay(start).next; first <= end; first = monthOfDay(first).next) {
    const next = perLesson(monthOfDay(first).month);
    if (next === price) continue;
    cost += run(from, first - 1, price);
    from = first;
    price = next;
  }
  return cost + run(from, end, price);
}
