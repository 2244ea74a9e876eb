// What an enrollment is expected to cost its certificate to the end of the year or of the group,
// whichever comes first. Pure.
import { lessonPrice, type BillingRules } from "./billing";

function dayNumber(date: string): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / 86_400_000);
}

/**
 * Lessons left = lessons a week x weeks left (rounded up) from `today`, or the group's first day
 * if later, to the end; each costs the certificate the lesson price up to the normative. A free or
 * paid program reserves nothing.
 */
export function expectedCost(
  group: { pricePerHour: number; lessonMinutes: number; lessonsPerWeek: number; fundingKind: string; startsOn?: string | null; endsOn: string },
  rules: BillingRules,
  today: string,
  year: number,
): number {
  if (group.fundingKind !== "financed") return 0;
  const end = Math.min(dayNumber(group.endsOn), dayNumber(`${year}-12-31`));
  const start = Math.max(dayNumber(today), group.startsOn ? dayNumber(group.startsOn) : -Infinity);
  const days = end - start + 1;
  if (days <= 0) return 0;
  const lessons = group.lessonsPerWeek * Math.ceil(days / 7);
  const perLesson = Math.min(lessonPrice(group.pricePerHour, group.lessonMinutes), lessonPrice(rules.normativePerHour, group.lessonMinutes));
  return lessons * perLesson;
}
