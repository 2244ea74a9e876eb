import { addDays, addYears, compareDates, formatLocalDate, parseLocalDate } from "@kruzhok/time";
import { registryError } from "./errors";

/** The document that proves a category, as the family shows it and the operator checks it. */
export interface CategoryProof {
  /** What the document is: "справка органа соцзащиты", "удостоверение многодетной семьи", "справка МСЭ". */
  kind: string;
  number: string;
  issuer: string;
  /** The day it was issued: a proof is in force from it, and its validity counts from it. */
  issuedOn: string;
}

export interface CategoryClaim {
  code: string;
  proof: CategoryProof;
  validUntil?: string | undefined;
}

/** A category with its proof checked and its validity decided: in force from `validFrom` through `validUntil`. */
export interface CategoryRecord {
  code: string;
  proof: CategoryProof;
  validFrom: string;
  validUntil: string;
}

/** Proofs that expire by rule: a low-income proof holds one year from its issue. Others default to five years. */
const maximumValidityYears: Record<string, number> = { low_income: 1 };
const DEFAULT_VALIDITY_YEARS = 5;

/** The last day a proof issued on `issuedOn` may hold `code` (a year from the issue is the day before its anniversary). */
export function latestValidUntil(code: string, issuedOn: string): string {
  return formatLocalDate(addDays(addYears(parseLocalDate(issuedOn), maximumValidityYears[code] ?? DEFAULT_VALIDITY_YEARS), -1));
}

/**
 * Check a child's category claims against the municipality's list for the year and against
 * `today` (the municipality's local date): unknown codes are refused, a proof issued after
 * today or already expired is refused, and the validity runs from the proof's issue, at most as
 * long as the category allows. Each refusal names its field.
 */
export function decideCategories(claims: readonly CategoryClaim[], known: ReadonlySet<string>, today: string, field = "categories"): CategoryRecord[] {
  const seen = new Set<string>();
  return claims.map((claim, index) => {
    const at = (name: string) => ({ field: `${field}.${index}.${name}` });
    if (seen.has(claim.code)) {
      throw registryError("CATEGORY_DUPLICATE", `category ${claim.code} is claimed twice; send each category once with its latest proof`, at("code"));
    }
    seen.add(claim.code);
    if (!known.has(claim.code)) {
      throw registryError("CATEGORY_UNKNOWN", `category ${claim.code} is not one of this municipality's categories (${[...known].join(", ") || "none set"})`, at("code"));
    }
    const issuedOn = claim.proof.issuedOn;
    if (compareDates(parseLocalDate(issuedOn), parseLocalDate(today)) > 0) {
      throw registryError("CATEGORY_PROOF_NOT_YET_ISSUED", `the proof is dated ${issuedOn}, after today (${today}); check the date on the document`, at("proof.issuedOn"));
    }
    const latest = latestValidUntil(claim.code, issuedOn);
    const until = claim.validUntil ?? latest;
    if (compareDates(parseLocalDate(until), parseLocalDate(issuedOn)) < 0) {
      throw registryError("CATEGORY_PROOF_TOO_LONG", `validUntil ${until} is before the proof was issued (${issuedOn})`, at("validUntil"));
    }
    if (compareDates(parseLocalDate(until), parseLocalDate(latest)) > 0) {
      throw registryError(
        "CATEGORY_PROOF_TOO_LONG",
        `a proof of ${claim.code} issued on ${issuedOn} holds until ${latest} at the latest; a longer period needs a new proof`,
        at("validUntil"),
      );
    }
    if (compareDates(parseLocalDate(until), parseLocalDate(today)) < 0) {
      throw registryError("CATEGORY_PROOF_EXPIRED", `this proof of ${claim.code} expired on ${until}; bring a new one`, at("validUntil"));
    }
    return { code: claim.code, proof: claim.proof, validFrom: issuedOn, validUntil: until };
  });
}

/** Categories in force on `on` (YYYY-MM-DD). */
export function activeCategories(records: readonly Pick<CategoryRecord, "code" | "validFrom" | "validUntil">[], on: string): string[] {
  return records.filter((record) => record.validFrom <= on && on <= record.validUntil).map((record) => record.code);
}

const sameProof = (a: CategoryProof, b: CategoryProof) => a.kind === b.kind && a.number === b.number && a.issuer === b.issuer && a.issuedOn === b.issuedOn;

/** The same category, proof and validity: sending it again changes nothing. */
export const sameRecord = (a: CategoryRecord, b: CategoryRecord) => a.code === b.code && sameProof(a.proof, b.proof) && a.validUntil === b.validUntil;

/** What a new list of categories does to a child's verified categories and pending claims. */
export interface CategoryPlan {
  /** Verified categories no longer claimed: they stop at once (dropping a category never needs a check). */
  remove: string[];
  /** Records in force from now: an office saw the documents at the desk. */
  verify: CategoryRecord[];
  /** Claims that wait for an operator's check; the verified record of the same code (if any) stays meanwhile. */
  pending: CategoryRecord[];
  /** Codes whose pending claim is withdrawn (no longer claimed, or verified by this very act). */
  withdraw: string[];
}

/**
 * Plan a new list of a child's categories. The family's claims wait for the office: only a
 * category an operator verified ranks queues and grants benefits, so a guardian cannot raise a
 * child's priority by declaring it. The office claims what it verifies on the spot. A claim equal
 * to the record in force (or to the one already waiting) changes nothing, so a retry or an
 * unchanged list does not send a verified category back for a check.
 */
export function planCategories(
  claimed: readonly CategoryRecord[],
  current: { verified: readonly CategoryRecord[]; pending: readonly CategoryRecord[] },
  by: "family" | "office",
): CategoryPlan {
  const codes = new Set(claimed.map((r) => r.code));
  const plan: CategoryPlan = {
    remove: current.verified.filter((r) => !codes.has(r.code)).map((r) => r.code),
    verify: [],
    pending: [],
    withdraw: current.pending.filter((r) => !codes.has(r.code)).map((r) => r.code),
  };
  for (const record of claimed) {
    const verified = current.verified.find((r) => r.code === record.code);
    const waiting = current.pending.find((r) => r.code === record.code);
    if (verified && sameRecord(verified, record)) {
      if (waiting) plan.withdraw.push(record.code);
      continue;
    }
    if (by === "office") {
      plan.verify.push(record);
      if (waiting) plan.withdraw.push(record.code);
    } else if (!(waiting && sameRecord(waiting, record))) {
      plan.pending.push(record);
    }
  }
  return plan;
}

/** Days before a category's last day that the family is told it ends. */
export const EXPIRY_NOTICE_DAYS = 30;
