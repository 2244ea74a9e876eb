// A year's billing rules take effect from a date, and every version is kept (issue #18), as
// attendance keeps its rules (services/attendance/src/domain/rules.ts). Pure.
import type { BillingRules } from "./billing";
import { paymentsError } from "./errors";

/**
 * One setting of a year's billing rules: in force from `effectiveFrom` (a local date of that year)
 * until a later one takes effect. Nothing is overwritten: a correction is a new version, and a
 * version set later with the same date supersedes the earlier one from that date on.
 */
export interface BillingRulesVersion {
  effectiveFrom: string;
  rules: BillingRules;
}

/**
 * The rules in force on a local date, of a year's versions in the order they were set: the version
 * with the latest effective date not after it (of two with one date, the one set later); undefined
 * before any took effect (the caller's "not set": billing then charges the certificate the group's
 * full price, defaultBillingRules).
 */
export function rulesOn<V extends BillingRulesVersion>(versions: readonly V[], date: string): V | undefined {
  let found: V | undefined;
  for (const version of versions) if (version.effectiveFrom <= date && (!found || version.effectiveFrom >= found.effectiveFrom)) found = version;
  return found;
}

/**
 * The day whose rules bill a month: its first. A month is billed as one whole (one price of its
 * lessons, one bill and its corrections), so one day stands for it, the one benefits are judged on
 * too (usecases/billing.ts). And no version takes effect before the day it is set: the version in
 * force on a month's first day was set before any of its lessons, so the family and the provider
 * knew the month's terms when it began, and a version set during the month (or after it, when the
 * month is billed and corrected) never reprices it. A version from the 15th bills the next month on.
 */
export const billedOn = (month: string): string => `${month}-01`;

/**
 * The version that bills a month: the one in force on its first day (billedOn); for a month that
 * began with no rules at all, the first version set to take effect during it (a municipality that
 * sets its year's first rules late bills that month by them, as rules set once for the year always
 * did; nothing set before is repriced). Undefined: no rules for the month (the certificate pays the
 * group's full price, defaultBillingRules).
 */
export function rulesForMonth<V extends BillingRulesVersion>(versions: readonly V[], month: string): V | undefined {
  const inForce = rulesOn(versions, billedOn(month));
  if (inForce) return inForce;
  const during = versions.filter((v) => v.effectiveFrom.startsWith(`${month}-`));
  if (during.length === 0) return undefined;
  const earliest = during.reduce((a, b) => (b.effectiveFrom < a.effectiveFrom ? b : a)).effectiveFrom;
  // Of several versions from that first day, the one set last (versions come in the order set).
  return rulesOn(during, earliest);
}

/**
 * A new version of a year's billing rules: its effective date in the year and not before today
 * (local): a change takes effect from a date, it does not rewrite the past.
 */
export function decideBillingRulesVersion(year: number, rules: BillingRules, effectiveFrom: string, today: string): BillingRulesVersion {
  if (!effectiveFrom.startsWith(`${year}-`)) throw paymentsError("RULES_DATE_OUTSIDE_YEAR", `effective date ${effectiveFrom} is not in ${year}`, { field: "effectiveFrom" });
  if (effectiveFrom < today) throw paymentsError("RULES_RETROACTIVE", `billing rules cannot take effect on ${effectiveFrom}, before today (${today})`, { field: "effectiveFrom" });
  return { effectiveFrom, rules };
}

/** When a version set without a date takes effect: today, or the year's first day for a year still ahead. */
export function defaultEffectiveFrom(year: number, today: string): string {
  const first = `${year}-01-01`;
  return today < first ? first : today;
}

/** `today` if it is a day of `year`, else the year's first (a year ahead) or last (a year past) day. */
export function dayOfYear(year: number, today: string): string {
  const first = `${year}-01-01`;
  const last = `${year}-12-31`;
  return today < first ? first : today > last ? last : today;
}
