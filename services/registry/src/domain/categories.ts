import { addYears, compareDates, formatLocalDate, parseLocalDate } from "@kruzhok/time";
import { registryError } from "./errors";

export interface CategoryClaim {
  code: string;
  proof: string;
  validFrom: string;
  validUntil?: string | undefined;
}

export interface CategoryRecord {
  code: string;
  proof: string;
  validFrom: string;
  validUntil: string;
}

/** Proofs that expire by rule: a low-income proof holds one year. Others default to five years. */
const maximumValidityYears: Record<string, number> = { low_income: 1 };
const DEFAULT_VALIDITY_YEARS = 5;

/**
 * Check a child's category claims against the municipality's list for the year: unknown codes
 * are refused (naming the field), the validity period is set or checked.
 */
export function decideCategories(claims: readonly CategoryClaim[], known: ReadonlySet<string>, field = "categories"): CategoryRecord[] {
  const seen = new Set<string>();
  return claims.map((claim, index) => {
    if (seen.has(claim.code)) {
      throw registryError("CATEGORY_DUPLICATE", `category ${claim.code} is claimed twice; send each category once with its latest proof`, {
        field: `${field}.${index}.code`,
      });
    }
    seen.add(claim.code);
    if (!known.has(claim.code)) {
      throw registryError(
        "CATEGORY_UNKNOWN",
        `category ${claim.code} is not one of this municipality's categories (${[...known].join(", ") || "none set"})`,
        { field: `${field}.${index}.code` },
      );
    }
    const from = parseLocalDate(claim.validFrom);
    const maxYears = maximumValidityYears[claim.code] ?? DEFAULT_VALIDITY_YEARS;
    const latest = addYears(from, maxYears);
    const until = claim.validUntil ? parseLocalDate(claim.validUntil) : latest;
    if (compareDates(until, from) < 0) {
      throw registryError("CATEGORY_PROOF_TOO_LONG", "validUntil is before validFrom", { field: `${field}.${index}.validUntil` });
    }
    if (compareDates(until, latest) > 0) {
      throw registryError(
        "CATEGORY_PROOF_TOO_LONG",
        `a proof of ${claim.code} is valid at most ${maxYears} year(s): until ${formatLocalDate(latest)} at the latest`,
        { field: `${field}.${index}.validUntil` },
      );
    }
    return { code: claim.code, proof: claim.proof, validFrom: claim.validFrom, validUntil: formatLocalDate(until) };
  });
}

/** Categories in force on `on` (YYYY-MM-DD). */
export function activeCategories(records: readonly CategoryRecord[], on: string): string[] {
  return records.filter((record) => record.validFrom <= on && on <= record.validUntil).map((record) => record.code);
}
