import { requireBasis, requireMunicipality, requireRole, type Actor } from "@kruzhok/actor";
import { ChildCategoriesChanged, ChildCategoryExpired, NotificationCategoryEnding } from "@kruzhok/contracts";
import { emit, type Cause } from "@kruzhok/messaging";
import type { Queryable } from "@kruzhok/postgres";
import { compareDates, daysBetween, formatLocalDate, localDateOf, parseLocalDate } from "@kruzhok/time";
import { decideCategories, EXPIRY_NOTICE_DAYS, planCategories, type CategoryClaim, type CategoryPlan } from "../domain/categories";
import { registryError } from "../domain/errors";
import { findCertificateOfChild } from "../store/certificates";
import {
  applyCategoryPlan,
  categoriesEnded,
  categoriesEndingSoon,
  decideClaim,
  findClaim,
  markEnding,
  pendingRecords,
  putVerified,
  type ClaimRow,
} from "../store/categories";
import { findMunicipality, findYear, type MunicipalityRow } from "../store/municipalities";
import { findChild, lockChild, type ChildRow } from "../store/people";
import type { RegistryDeps } from "../deps";
import { assertActsForChild, officeRoles, recordFamilyAct } from "./access";
import { inRounds, inTransaction } from "./transaction";

// Social categories are verified, not declared: a guardian's claim waits for the office, which
// checks the proof (kind, number, issuer, date of issue) and verifies or rejects it. Only what is
// verified is announced, so only it ranks queues, sets the funding coefficient and grants
// benefits in the other services. A verified category ends on its last day in the
// municipality's zone: the family is told 30 days before, and the end is announced on the day.

/** The municipality's local today. */
const todayIn = (municipality: MunicipalityRow, now: Date) => formatLocalDate(localDateOf(now, municipality.timeZone));

/** Codes of the municipality's social categories this local year: the ones a child may claim. */
async function knownCategories(db: Queryable, municipality: MunicipalityRow, now: Date): Promise<Set<string>> {
  const year = await findYear(db, municipality.id, localDateOf(now, municipality.timeZone).year, todayIn(municipality, now));
  return new Set(year?.categories.map((category) => category.code) ?? []);
}

async function municipalityOfChild(db: Queryable, child: Pick<ChildRow, "municipalityId">): Promise<MunicipalityRow> {
  const municipality = await findMunicipality(db, child.municipalityId);
  if (!municipality) throw new Error(`child's municipality ${child.municipalityId} vanished`);
  return municipality;
}

/** The verified categories of the child, announced whole (codes and validity only: proofs may name a diagnosis or a court decision). */
async function announceCategories(tx: Queryable, childId: string, cause: Cause, now: Date): Promise<void> {
  const child = await findChild(tx, childId);
  if (!child) throw new Error(`child ${childId} vanished inside its transaction`);
  const certificate = await findCertificateOfChild(tx, childId);
  await emit(
    tx,
    ChildCategoriesChanged,
    { ...cause, municipalityId: child.municipalityId, aggregateId: childId },
    { childId, certificateId: certificate?.id ?? null, categories: child.categories.map(({ code, validFrom, validUntil }) => ({ code, validFrom, validUntil })) },
    now,
  );
}

/**
 * Claim categories for a child whose row the transaction holds (a new child, or one locked): the
 * family's claims wait for the office, the office's are verified on the spot. Returns the plan,
 * so the caller knows whether what is in force changed.
 */
export async function claimCategories(
  tx: Queryable,
  actor: Actor,
  child: Pick<ChildRow, "id" | "municipalityId" | "categories">,
  claims: readonly CategoryClaim[],
  now: Date,
): Promise<CategoryPlan> {
  const municipality = await municipalityOfChild(tx, child);
  const records = decideCategories(claims, await knownCategories(tx, municipality, now), todayIn(municipality, now), "categories");
  const plan = planCategories(records, { verified: child.categories, pending: await pendingRecords(tx, child.id) }, actor.role === "guardian" ? "family" : "office");
  await applyCategoryPlan(tx, child.id, plan, actor.subject, now);
  return plan;
}

/**
 * Replace a child's list of categories (a new proof, a new expiry, one dropped). What an office
 * verifies or the family drops changes what is in force at once and is announced; what the
 * family adds waits for the office (GET /category-claims).
 */
export async function replaceChildCategories(
  deps: RegistryDeps,
  actor: Actor,
  command: { childId: string; categories: readonly CategoryClaim[] },
  cause: Cause,
): Promise<ChildRow> {
  requireRole(actor, "guardian", ...officeRoles);
  const { childId } = command;
  return inTransaction(deps, cause, async ({ tx, now }) => {
    if (!(await lockChild(tx, childId))) throw registryError("CHILD_NOT_FOUND", `no child ${childId}`);
    const child = await findChild(tx, childId);
    if (!child) throw registryError("CHILD_NOT_FOUND", `no child ${childId}`);
    assertActsForChild(actor, child);
    await recordFamilyAct(tx, actor, { action: "child.categories-replaced", subjectId: childId, municipalityId: child.municipalityId, childId, now });
    const plan = await claimCategories(tx, actor, child, command.categories, now);
    if (plan.remove.length > 0 || plan.verify.length > 0) await announceCategories(tx, childId, cause, now);
    const updated = await findChild(tx, childId);
    if (!updated) throw new Error(`child ${childId} vanished inside its transaction`);
    return updated;
  });
}

export type ClaimDecision = { decision: "verify" } | { decision: "reject"; reason: string };

/**
 * The office of the child's municipality verifies a waiting claim (the category is in force from
 * now and announced) or rejects it with a reason the family reads. A proof that expired while
 * the claim waited cannot be verified: the family brings a new one.
 */
export async function decideCategoryClaim(deps: RegistryDeps, actor: Actor, command: { claimId: string } & ClaimDecision, cause: Cause): Promise<ClaimRow> {
  requireRole(actor, ...officeRoles);
  requireBasis(actor);
  return inTransaction(deps, cause, async ({ tx, now }) => {
    const seen = await findClaim(tx, command.claimId);
    if (!seen) throw registryError("CLAIM_NOT_FOUND", `no category claim ${command.claimId}`);
    requireMunicipality(actor, seen.municipalityId);
    // The child first, then the claim: the order a replacement of the child's list takes.
    await lockChild(tx, seen.childId);
    const claim = await findClaim(tx, command.claimId, true);
    if (!claim) throw registryError("CLAIM_NOT_FOUND", `no category claim ${command.claimId}`);
    if (claim.status !== "pending") {
      throw registryError("CLAIM_DECIDED", `this claim was ${claim.status} already${claim.decidedAt ? ` on ${claim.decidedAt.toISOString()}` : ""}; a new proof is a new claim`);
    }
    await recordFamilyAct(tx, actor, { action: `child.category-${command.decision === "verify" ? "verified" : "rejected"}`, subjectId: claim.id, municipalityId: claim.municipalityId, childId: claim.childId, now });
    if (command.decision === "reject") {
      await decideClaim(tx, claim.id, "rejected", actor.subject, now, command.reason);
    } else {
      const municipality = await municipalityOfChild(tx, claim);
      const today = todayIn(municipality, now);
      if (compareDates(parseLocalDate(claim.validUntil), parseLocalDate(today)) < 0) {
        throw registryError("CATEGORY_PROOF_EXPIRED", `the proof held until ${claim.validUntil}; reject this claim and ask the family for a new proof`);
      }
      await decideClaim(tx, claim.id, "verified", actor.subject, now, null);
      await putVerified(tx, claim.childId, [claim], actor.subject, now);
      await announceCategories(tx, claim.childId, cause, now);
    }
    const decided = await findClaim(tx, claim.id);
    if (!decided) throw new Error(`claim ${claim.id} vanished inside its transaction`);
    return decided;
  });
}

/**
 * One round of the categories' ends, in every municipality's own zone: families told 30 days
 * before a verified category's last day (once), and each end announced the day after it (once).
 * Rows are claimed with SKIP LOCKED, so two registries sweeping at once share the work.
 */
export function sweepCategoryEndings(deps: RegistryDeps, options: { batch?: number } = {}): Promise<{ noticed: number; expired: number }> {
  const batch = options.batch ?? 500;
  const cause: Cause = {};
  return inRounds(deps, cause, batch, async ({ tx, now }) => {
    const ending = await categoriesEndingSoon(tx, now, EXPIRY_NOTICE_DAYS, batch);
    for (const record of ending) {
      const child = await findChild(tx, record.childId);
      const municipality = await findMunicipality(tx, record.municipalityId);
      if (!child || !municipality) continue;
      const daysLeft = daysBetween(parseLocalDate(record.today), parseLocalDate(record.validUntil));
      for (const guardianId of child.guardianIds) {
        await emit(
          tx,
          NotificationCategoryEnding,
          { ...cause, municipalityId: record.municipalityId, aggregateId: guardianId },
          { guardianId, childId: child.id, locale: null, currency: municipality.currency, timeZone: municipality.timeZone, code: record.code, validUntil: record.validUntil, daysLeft },
          now,
        );
      }
    }
    await markEnding(tx, ending, "expiry_noticed");
    const ended = await categoriesEnded(tx, now, batch);
    for (const record of ended) {
      const certificate = await findCertificateOfChild(tx, record.childId);
      await emit(
        tx,
        ChildCategoryExpired,
        { ...cause, municipalityId: record.municipalityId, aggregateId: record.childId },
        { childId: record.childId, certificateId: certificate?.id ?? null, code: record.code, validUntil: record.validUntil },
        now,
      );
    }
    await markEnding(tx, ended, "expiry_announced");
    return { noticed: ending.length, expired: ended.length };
  });
}
