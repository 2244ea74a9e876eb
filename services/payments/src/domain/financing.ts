// Financing: what a certificate takes from the municipality's budget for a year, and where it
// stands in the waiting list when the budget or the cap is exhausted. Pure.
import { paymentsError } from "./errors";

export interface YearCategory {
  code: string;
  coefficient: number;
}

export interface Funding {
  /** nominal x coefficient, rounded half up to a whole minor unit. */
  amount: number;
  coefficient: number;
  /** Place of the child's best category in the municipality's order (0 first); children of no listed category come after all. */
  rank: number;
}

/**
 * The child's coefficient is the highest of the coefficients of its categories that the
 * municipality lists (children with special educational needs get more), 1 when none is listed.
 * The coefficient is taken to six decimals and the product rounded half up, in integers (no
 * float ever touches the amount).
 */
export function fundingOf(nominal: number, categories: readonly YearCategory[], childCategories: readonly string[]): Funding {
  const held = categories.map((c, index) => ({ ...c, index })).filter((c) => childCategories.includes(c.code));
  const coefficient = held.length === 0 ? 1 : Math.max(...held.map((c) => c.coefficient));
  const rank = held.length === 0 ? categories.length : Math.min(...held.map((c) => c.index));
  return { amount: multiply(nominal, coefficient), coefficient, rank };
}

/**
 * The nominal prorated by the months left in the year, the month of the request included
 * (financed in September: 4/12), rounded half up. A request for a later year gets it whole.
 */
export function prorated(amount: number, year: number, today: { year: number; month: number }): number {
  if (today.year < year) return amount;
  if (today.year > year) return 0;
  const monthsLeft = 13 - today.month;
  return Number((BigInt(amount) * BigInt(monthsLeft) * 2n + 12n) / 24n);
}

/** amount x factor, rounded half up to a whole minor unit; refuses a result beyond 2^53. */
export function multiply(amount: number, factor: number): number {
  const micro = BigInt(Math.round(factor * 1_000_000));
  const product = (BigInt(amount) * micro + 500_000n) / 1_000_000n;
  if (product > BigInt(Number.MAX_SAFE_INTEGER)) throw paymentsError("AMOUNT_INVALID", `${amount} x ${factor} exceeds 2^53 minor units`);
  return Number(product);
}

/** Why a request waits: the money, the cap, or others ahead of it in the waiting list. */
export type WaitReason = "budget_exhausted" | "cap_reached" | "queue_ahead";

/**
 * Whether the head of the waiting list can be funded now. Strict order: while the head does not
 * fit, nobody behind it jumps ahead (a cheaper request does not overtake a higher category).
 */
export function decideHead(head: { amount: number }, state: { available: number; committed: number; cap: number }): { fund: true } | { fund: false; reason: WaitReason } {
  if (state.committed >= state.cap) return { fund: false, reason: "cap_reached" };
  if (head.amount > state.available) return { fund: false, reason: "budget_exhausted" };
  return { fund: true };
}
