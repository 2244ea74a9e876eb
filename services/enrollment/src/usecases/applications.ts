import type { Actor } from "@kruzhok/actor";
import { ApplicationFinancingSettled, ApplicationRefused, ApplicationReranked, ApplicationReviewed, ApplicationWithdrawn, OfferLapsed } from "@kruzhok/contracts";
import { emit, type Cause } from "@kruzhok/messaging";
import type { PoolClient, Queryable } from "@kruzhok/postgres";
import { localDateOf } from "@kruzhok/time";
import { applicationRef, decideReview, decideWithdrawal, waitsInQueue } from "../domain/application";
import { localDay } from "../domain/deadlines";
import { enrollmentError } from "../domain/errors";
import { bestCategory } from "../domain/queue";
import {
  OPEN_STATUSES,
  applicationsAwaitingFinancing,
  findApplication,
  lockGroupQueue,
  lockGroupQueues,
  markQueueDirty,
  openApplicationsOfCertificate,
  openApplicationsOfGroup,
  overdueReviewsOfGroup,
  setApplicationStatus,
  setCategory,
  waitingApplicationsOfChild,
  waitingApplicationsOfMunicipality,
  type ApplicationInGroup,
  type ApplicationRow,
} from "../store/applications";
import { declineOpenOffersOf } from "../store/offers";
import { categoriesOn, findGroup, findRules, lockChild, replaceCategories } from "../store/projections";
import { requireFamily, requireProvider } from "./access";
import { copyQueueAfterCommit, type QueueIndexDeps } from "./indexing";
import { noticeApproachingPositions, notifyApplicationRefused } from "./notifications";
import { fillSeats } from "./seats";

// What happens to an application once submitted (usecases/submission.ts): the provider's
// review, the family's withdrawal, the registry's answer on financing, re-ranking, and the
// withdrawals a closed certificate or group causes.

/** The provider's decision on an application of its group; the queue is copied to Redis once it commits. */
export async function reviewApplication(
  tx: PoolClient,
  deps: QueueIndexDeps,
  actor: Actor,
  command: { applicationId: string; decision: "confirmed" | "rejected"; comment: string | null },
  now: Date,
  cause: Cause,
): Promise<ApplicationRow> {
  const found = await findApplication(tx, command.applicationId);
  if (!found) throw enrollmentError("APPLICATION_NOT_FOUND", `no application ${command.applicationId}`);
  requireProvider(actor, found);
  await lockGroupQueue(tx, found.groupId);
  const a = (await findApplication(tx, command.applicationId, true))!;
  // A rejection's words are the family's to read (the application's refusal), never an event's.
  const refusal = command.decision === "rejected" ? { refusalCode: "ENROLLMENT.REJECTED_BY_PROVIDER", refusalDetail: command.comment ?? "" } : {};
  await setApplicationStatus(tx, a.id, { ...decideReview(a, command.decision), ...refusal }, now);
  await markQueueDirty(tx, a.groupId);
  await emit(tx, ApplicationReviewed, { ...cause, municipalityId: a.municipalityId, aggregateId: a.id }, { ...applicationRef(a), decision: command.decision, campaignId: null }, now);
  if (command.decision === "rejected") await notifyApplicationRefused(tx, a, "ENROLLMENT.REJECTED_BY_PROVIDER", command.comment, now, cause);
  await fillSeats(tx, a.groupId, now, cause);
  copyQueueAfterCommit(tx, deps, a.groupId);
  return (await findApplication(tx, a.id))!;
}

/**
 * Past the review deadline the application moves on as if confirmed (`auto_confirmed`): it had
 * its place in the queue from submission, and now it may be offered a seat.
 */
export async function autoConfirmOverdueReviews(tx: PoolClient, groupId: string, now: Date, cause: Cause): Promise<number> {
  await lockGroupQueue(tx, groupId);
  const overdue = await overdueReviewsOfGroup(tx, groupId, now);
  for (const id of overdue) {
    const a = (await findApplication(tx, id))!;
    await setApplicationStatus(tx, id, { review: "auto_confirmed" }, now);
    await emit(tx, ApplicationReviewed, { ...cause, municipalityId: a.municipalityId, aggregateId: id }, { ...applicationRef(a), decision: "auto_confirmed", campaignId: null }, now);
  }
  if (overdue.length > 0) await fillSeats(tx, groupId, now, cause);
  return overdue.length;
}

/** The family (or an operator for it) withdraws an application that has no enrollment yet; the queue is copied to Redis once it commits. */
export async function withdrawApplication(tx: PoolClient, deps: QueueIndexDeps, actor: Actor, applicationId: string, now: Date, cause: Cause): Promise<ApplicationRow> {
  const found = await findApplication(tx, applicationId);
  if (!found) throw enrollmentError("APPLICATION_NOT_FOUND", `no application ${applicationId}`);
  await requireFamily(tx, actor, found, { action: "application.withdrawn", subjectId: applicationId, now });
  await lockGroupQueue(tx, found.groupId);
  const a = (await findApplication(tx, applicationId, true))!;
  decideWithdrawal(a);
  await setApplicationStatus(tx, a.id, { status: "withdrawn" }, now);
  await markQueueDirty(tx, a.groupId);
  await emit(tx, ApplicationWithdrawn, { ...cause, municipalityId: a.municipalityId, aggregateId: a.id }, { ...applicationRef(a), reason: "family" }, now);
  await fillSeats(tx, a.groupId, now, cause);
  copyQueueAfterCommit(tx, deps, a.groupId);
  return (await findApplication(tx, a.id))!;
}

/**
 * The registry answered a financing request. Financed (or already financed): every application
 * of the certificate awaiting financing goes on waiting as `queued`, in the place it has held
 * since submission. Refused: those applications are refused and leave the queue.
 */
export async function settleFinancing(
  tx: PoolClient,
  certificateId: string,
  outcome: { financed: true } | { financed: false; reason: string },
  now: Date,
  cause: Cause,
): Promise<number> {
  const awaiting = await applicationsAwaitingFinancing(tx, certificateId);
  await lockGroupQueues(tx, awaiting.map((r) => r.groupId));
  for (const { id } of awaiting) {
    const a = (await findApplication(tx, id, true))!;
    if (a.status !== "awaiting_financing") continue;
    const origin = { ...cause, municipalityId: a.municipalityId, aggregateId: a.id };
    if (outcome.financed) {
      await setApplicationStatus(tx, a.id, { status: "queued" }, now);
      await emit(tx, ApplicationFinancingSettled, origin, { ...applicationRef(a), certificateId }, now);
    } else {
      const detail = `the registry refused to finance the certificate (${outcome.reason}); a financed program needs a financed certificate`;
      await setApplicationStatus(tx, a.id, { status: "refused", refusalCode: "ENROLLMENT.FINANCING_REFUSED", refusalDetail: detail }, now);
      await emit(tx, ApplicationRefused, origin, { ...applicationRef(a), reason: "ENROLLMENT.FINANCING_REFUSED", detail }, now);
      await notifyApplicationRefused(tx, a, "ENROLLMENT.FINANCING_REFUSED", null, now, cause);
    }
    await markQueueDirty(tx, a.groupId);
    await fillSeats(tx, a.groupId, now, cause);
  }
  return awaiting.length;
}

/** The registry announced the child's categories anew: they replace the ones known, and the child's waiting applications move. */
export async function recordChildCategories(
  tx: PoolClient,
  childId: string,
  categories: readonly { code: string; validFrom: string; validUntil: string }[],
  now: Date,
  cause: Cause,
): Promise<number> {
  await replaceCategories(tx, childId, categories, now);
  return rerankChild(tx, childId, now, cause);
}

/**
 * Recompute the category rank of the child's waiting applications (a new proof, an expired one,
 * a new municipal order) and move them in their queues. The child's row is locked first, then
 * the groups' queue locks in order: the same order a submission takes them.
 */
export async function rerankChild(tx: PoolClient, childId: string, now: Date, cause: Cause): Promise<number> {
  await lockChild(tx, childId);
  const waiting = await waitingApplicationsOfChild(tx, childId);
  await lockGroupQueues(tx, waiting.map((r) => r.groupId));
  let moved = 0;
  for (const { id } of waiting) {
    if (await rerankApplication(tx, id, now, cause)) moved++;
  }
  return moved;
}

/**
 * A new category order re-ranks every waiting application of the municipality. Queue locks
 * first, in one order, then the rows (no child locks: see lockGroupQueue).
 */
export async function rerankMunicipality(tx: PoolClient, municipalityId: string, now: Date, cause: Cause): Promise<void> {
  const waiting = await waitingApplicationsOfMunicipality(tx, municipalityId);
  await lockGroupQueues(tx, waiting.map((r) => r.groupId));
  for (const { id } of waiting) await rerankApplication(tx, id, now, cause);
}

/** Re-rank one waiting application; the caller holds its group's queue lock. */
export async function rerankApplication(tx: Queryable, applicationId: string, now: Date, cause: Cause): Promise<boolean> {
  const a = await findApplication(tx, applicationId, true);
  if (!a || !waitsInQueue(a.status)) return false;
  const group = await findGroup(tx, a.groupId);
  const settings = group && (await findRules(tx, a.municipalityId, localDateOf(now, group.timeZone).year));
  if (!settings?.rules) return false;
  const best = bestCategory(settings.rules.categories, await categoriesOn(tx, a.childId, localDay(now, settings.timeZone)));
  if (best.rank === a.categoryRank && best.code === a.categoryCode) return false;
  await setCategory(tx, a.id, best, now);
  await markQueueDirty(tx, a.groupId);
  await emit(tx, ApplicationReranked, { ...cause, municipalityId: a.municipalityId, aggregateId: a.id }, applicationRef(a), now);
  // A higher category moves this application up (or others down): approaches are told, fallbacks forgotten.
  await noticeApproachingPositions(tx, a.groupId, now, cause);
  return true;
}

/**
 * The certificate closed or moved to another municipality: the child's open applications there
 * are withdrawn (an open offer lapses as declined) and their seats pass on.
 */
export async function withdrawOpenApplicationsOfCertificate(
  tx: PoolClient,
  certificateId: string,
  reason: "certificate_closed" | "certificate_moved",
  now: Date,
  cause: Cause,
): Promise<number> {
  return withdrawOpen(tx, await openApplicationsOfCertificate(tx, certificateId), reason, now, cause);
}

/**
 * The group closed (its provider closed it, or the program was withdrawn): its open applications
 * are withdrawn and its open offers lapse, as when a certificate closes. The families are told
 * with an "application refused" notice (ENROLLMENT.GROUP_CLOSED): unlike a closed certificate,
 * nothing else tells them that the group they wait for is gone. The caller holds the queue lock.
 */
export async function withdrawOpenApplicationsOfGroup(tx: PoolClient, groupId: string, now: Date, cause: Cause): Promise<number> {
  return withdrawOpen(tx, await openApplicationsOfGroup(tx, groupId), "group_closed", now, cause);
}

async function withdrawOpen(
  tx: PoolClient,
  open: readonly ApplicationInGroup[],
  reason: "certificate_closed" | "certificate_moved" | "group_closed",
  now: Date,
  cause: Cause,
): Promise<number> {
  await lockGroupQueues(tx, open.map((r) => r.groupId));
  for (const { id } of open) {
    const a = (await findApplication(tx, id, true))!;
    if (!(OPEN_STATUSES as readonly string[]).includes(a.status)) continue;
    const origin = { ...cause, municipalityId: a.municipalityId, aggregateId: a.id };
    if (a.status === "offered") {
      for (const offerId of await declineOpenOffersOf(tx, a.id, now)) await emit(tx, OfferLapsed, origin, { ...applicationRef(a), offerId, reason: "declined" }, now);
    }
    await setApplicationStatus(tx, a.id, { status: "withdrawn" }, now);
    await markQueueDirty(tx, a.groupId);
    await emit(tx, ApplicationWithdrawn, origin, { ...applicationRef(a), reason }, now);
    if (reason === "group_closed") await notifyApplicationRefused(tx, a, "ENROLLMENT.GROUP_CLOSED", null, now, cause);
  }
  for (const groupId of new Set(open.map((r) => r.groupId))) await fillSeats(tx, groupId, now, cause);
  return open.length;
}
