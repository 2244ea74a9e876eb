// Family fees and benefits (Novokuznetsk rules) for kindergarten care and paid programs. Pure.
//
// Rounding rule: every part that is a share of something (a benefit, a compensation, an absence
// credit) is rounded half up to a whole minor unit, in this order: certificate, benefit,
// compensation; the family's part is what remains. So the parts always add up to the total, and
// no kopek or tiyn is lost or made by rounding.

import { paymentsError } from "./errors";

/** A benefit: 100 % for orphans and children left without parental care; 50, 30 or 20 % for the categories the municipality lists. */
export interface Benefit {
  category: string;
  percent: 100 | 50 | 30 | 20;
  /** The proof's validity, local dates inclusive (a large family's certificate: one year from issue). */
  validFrom: string;
  validUntil: string;
}

export interface FeeInput {
  /** The month's fee, minor units. */
  total: number;
  /** What a certificate pays of it (0 for kindergarten care). */
  certificate: number;
  /** The first day of the month billed, YYYY-MM-DD. */
  on: string;
  benefits: readonly Benefit[];
  /** Families forced to leave Ukraine, the LNR or the DNR: nothing to pay for one year from the enrollment. */
  displacedSince?: string | null;
  /** The municipality's share of the fee (after benefits) by the child's order in the family, in thousandths; 0 when not applied for. */
  compensationPerMille: number;
}

export interface FeeParts {
  certificate: number;
  benefit: number;
  compensation: number;
  family: number;
}

/** a x n / d rounded half up, in integers (a, n, d non-negative, d > 0). */
export function shareOf(amount: number, numerator: number, denominator: number): number {
  const value = (BigInt(amount) * BigInt(numerator) * 2n + BigInt(denominator)) / (2n * BigInt(denominator));
  return Number(value);
}

function addYear(date: string): string {
  return `${Number(date.slice(0, 4)) + 1}${date.slice(4)}`;
}

/**
 * The parts of a month's fee. The best benefit whose proof is valid on `on` applies (benefits do
 * not add up); the exemption counts as a 100 % benefit while it lasts; the compensation is a share
 * of what remains after the benefit.
 */
export function feeParts(input: FeeInput): FeeParts {
  for (const amount of [input.total, input.certificate]) {
    if (!Number.isSafeInteger(amount) || amount < 0) throw paymentsError("AMOUNT_INVALID", "amounts are whole, non-negative minor units below 2^53");
  }
  if (input.certificate > input.total) throw paymentsError("AMOUNT_INVALID", "the certificate cannot pay more than the total");
  if (!Number.isInteger(input.compensationPerMille) || input.compensationPerMille < 0 || input.compensationPerMille > 1_000) {
    throw paymentsError("AMOUNT_INVALID", "the compensation is a share of 0 to 1000 thousandths");
  }
  const base = input.total - input.certificate;
  const exempt = input.displacedSince != null && input.displacedSince <= input.on && input.on < addYear(input.displacedSince);
  const valid = input.benefits.filter((b) => b.validFrom <= input.on && input.on <= b.validUntil).map((b) => b.percent);
  const percent = exempt ? 100 : Math.max(0, ...valid);
  const benefit = shareOf(base, percent, 100);
  const compensation = shareOf(base - benefit, input.compensationPerMille, 1_000);
  return { certificate: input.certificate, benefit, compensation, family: base - benefit - compensation };
}

/**
 * A month billed in advance, due on the 10th: the month's fee, less the credit for the previous
 * month's excused absence days (fee x excused / planned days of that month, rounded half up).
 * Late or unexcused absences earn no credit.
 */
export function monthlyBill(input: { month: string; fee: number; previous: { fee: number; plannedDays: number; excusedDays: number } | null }): { dueOn: string; fee: number; credit: number; toPay: number } {
  const credit = input.previous && input.previous.plannedDays > 0 ? shareOf(input.previous.fee, Math.min(input.previous.excusedDays, input.previous.plannedDays), input.previous.plannedDays) : 0;
  return { dueOn: `${input.month}-10`, fee: input.fee, credit, toPay: Math.max(0, input.fee - credit) };
}
