// Billing a month of attendance: what the certificate, the family and nobody pay for one
// enrollment's month. Pure; amounts in minor units.
import { paymentsError } from "./errors";

/** A lesson's length: the mean of the schedule's slots, in whole minutes (45 when the schedule has none). */
export function lessonMinutesOf(slots: readonly { start: string; end: string }[]): number {
  const minutes = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
  const lengths = slots.map((s) => minutes(s.end) - minutes(s.start)).filter((m) => m > 0);
  if (lengths.length === 0) return 45;
  return Math.max(1, Math.round(lengths.reduce((a, b) => a + b, 0) / lengths.length));
}

/** The price of one lesson of `minutes` at `perHour`: rounded half up to a whole minor unit. */
export function lessonPrice(perHour: number, minutes: number): number {
  const price = Math.floor((perHour * minutes + 30) / 60);
  if (!Number.isSafeInteger(perHour * minutes)) throw paymentsError("AMOUNT_INVALID", "lesson price beyond 2^53 minor units");
  return price;
}

export interface BillingRules {
  /** What a certificate pays at most for one lesson hour. */
  normativePerHour: number;
  /** Whether the family pays what the lesson costs beyond the normative. */
  coPayment: boolean;
  /** Whether unexcused absences are charged as lessons. */
  unexcused: "charged" | "not_charged";
  /** Whether a certificate financed during the year gets the nominal prorated by the months left (the month of the request counts). */
  prorateNominal?: boolean;
  /** Benefits by category that cut the family's part (Novokuznetsk: 100 % orphans; 50, 30, 20 % as the municipality lists). */
  benefits?: { category: string; percent: 100 | 50 | 30 | 20 }[];
  /** Compensation in thousandths of the fee after benefits, by the child's order in the family: [first, second, third and later]. */
  compensation?: number[];
  /** Categories whose families pay nothing for one year from the enrollment (forced to leave Ukraine, the LNR or the DNR). */
  exemptCategories?: string[];
}

/** When the municipality set no rules for the year: the certificate pays the full price, no co-payment, unexcused absences free. */
export function defaultBillingRules(pricePerHour: number): BillingRules {
  return { normativePerHour: pricePerHour, coPayment: false, unexcused: "not_charged" };
}

/** Since when a family is exempt: the enrollment's start, when the child holds an exempt category; null otherwise. */
export function exemptSince(rules: Pick<BillingRules, "exemptCategories">, proofs: readonly { code: string }[], startedOn: string | null): string | null {
  if (startedOn === null || !(rules.exemptCategories ?? []).some((code) => proofs.some((p) => p.code === code))) return null;
  return startedOn;
}

/** The compensation share for a child of `order` (1 = first) whose guardian applied; 0 without an application. */
export function compensationFor(rules: Pick<BillingRules, "compensation">, order: number | null): number {
  const shares = rules.compensation ?? [];
  if (order === null || shares.length === 0) return 0;
  return shares[Math.min(order, shares.length) - 1] ?? 0;
}

/** The child's benefits on a date: the municipality's percent for each category whose proof is valid then. */
export function benefitsOn(
  rules: Pick<BillingRules, "benefits">,
  proofs: readonly { code: string; validFrom: string; validUntil: string }[],
): { category: string; percent: 100 | 50 | 30 | 20; validFrom: string; validUntil: string }[] {
  return (rules.benefits ?? []).flatMap((b) => proofs.filter((p) => p.code === b.category).map((p) => ({ category: b.category, percent: b.percent, validFrom: p.validFrom, validUntil: p.validUntil })));
}

export interface MonthAttendance {
  /** Present lessons that may be billed: neither disputed nor (where confirmation is required) unconfirmed. */
  billable: number;
  unexcused: number;
}

export interface MonthCharge {
  lessons: number;
  /** What the lessons cost at the group's price. */
  total: number;
  /** What the certificate owes (before its balance is looked at). */
  certificateDue: number;
  /** What the family owes by co-payment (before any certificate shortfall). */
  familyDue: number;
  /** What nobody pays: beyond the normative where co-payment is not allowed. */
  uncovered: number;
}

/**
 * Charged lessons: the billable present ones, plus unexcused absences where the municipality
 * charges them. Excused absences, disputed and unconfirmed marks are never charged. For a
 * financed program the certificate pays up to the normative per lesson and the family the rest
 * where co-payment is allowed; for a paid program the family pays all; a free one costs nothing.
 * certificateDue + familyDue + uncovered = total, always.
 */
export function chargeMonth(
  attendance: MonthAttendance,
  group: { pricePerHour: number; lessonMinutes: number; fundingKind: string },
  rules: BillingRules,
): MonthCharge {
  const lessons = attendance.billable + (rules.unexcused === "charged" ? attendance.unexcused : 0);
  const price = lessonPrice(group.pricePerHour, group.lessonMinutes);
  const total = lessons * price;
  if (!Number.isSafeInteger(total)) throw paymentsError("AMOUNT_INVALID", "month total beyond 2^53 minor units");
  switch (group.fundingKind) {
    case "free":
      return { lessons, total: 0, certificateDue: 0, familyDue: 0, uncovered: 0 };
    case "paid":
      return { lessons, total, certificateDue: 0, familyDue: total, uncovered: 0 };
    default: {
      const certificatePart = Math.min(price, lessonPrice(rules.normativePerHour, group.lessonMinutes));
      const certificateDue = lessons * certificatePart;
      const rest = total - certificateDue;
      return { lessons, total, certificateDue, familyDue: rules.coPayment ? rest : 0, uncovered: rules.coPayment ? 0 : rest };
    }
  }
}

/**
 * What the certificate could not pay (its balance ran out) goes to the family where co-payment
 * is allowed, and is uncovered otherwise. The parts still add up to the total.
 */
export function settleShortfall(charge: MonthCharge, certificatePaid: number, coPayment: boolean): { certificate: number; family: number; uncovered: number } {
  const shortfall = charge.certificateDue - certificatePaid;
  return coPayment
    ? { certificate: certificatePaid, family: charge.familyDue + shortfall, uncovered: charge.uncovered }
    : { certificate: certificatePaid, family: charge.familyDue, uncovered: charge.uncovered + shortfall };
}

/** A month's bill in figures, as it is saved and announced: the lessons and each part's amount. */
export function billFigures(
  lessons: number,
  parts: { certificate: number; family: number; uncovered: number },
  discounts: { benefit: number; compensation: number },
): { lessons: number; certificateAmount: number; familyAmount: number; uncoveredAmount: number; benefitAmount: number; compensationAmount: number } {
  return {
    lessons,
    certificateAmount: parts.certificate,
    familyAmount: parts.family,
    uncoveredAmount: parts.uncovered,
    benefitAmount: discounts.benefit,
    compensationAmount: discounts.compensation,
  };
}

export function yearOfMonth(month: string): number {
  return Number(month.slice(0, 4));
}
