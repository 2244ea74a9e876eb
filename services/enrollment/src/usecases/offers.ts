import { v7 as uuidv7 } from "uuid";
import { requireRole, type Actor } from "@kruzhok/actor";
import { ContractSigned, EnrollmentEnded, EnrollmentStarted, OfferLapsed } from "@kruzhok/contracts";
import { emit, type Cause } from "@kruzhok/messaging";
import type { PoolClient } from "@kruzhok/postgres";
import { applicationRef, assertCertificationInForce, decideSignatureMethod, enrollmentsKept, schedulesClash } from "../domain/application";
import { dayBefore, localDay } from "../domain/deadlines";
import { enrollmentError } from "../domain/errors";
import { insertFamilyActs } from "../store/audit";
import { activeEnrollmentsOfChild, findApplication, lockGroupQueue, setApplicationStatus, type ApplicationRow } from "../store/applications";
import { endEnrollment, findEnrollment, insertEnrollmentWithContract, recordFamilyAnswer, scheduleLeaving, type EndReason, type EnrollmentRow } from "../store/enrollments";
import { decideOffer, expiredOffersOfGroup, findOffer, type OfferRow } from "../store/offers";
import { findCertificateOfChild, findGroup, lockChild } from "../store/projections";
import { familyActOf, requireFamily, requireProvider } from "./access";
import { copyQueueAfterCommit, type QueueIndexDeps } from "./indexing";
import { notifyEnrollmentEnded } from "./notifications";
import { fillSeats } from "./seats";

/**
 * Accept an offer: the contract is signed (electronically by the guardian, or in person with an
 * operator recording it: `method`, by default the actor's) and the child's enrollment starts. The
 * child's row is locked first, as a submission does, so the schedule and same-program rules are
 * checked again against enrollments that started since the application. Takes no queue lock for
 * the offer's group: an acceptance frees no seat there and moves no queue (the offer already
 * holds the seat). A transfer frees the seat it leaves: that queue is copied to Redis once this
 * commits.
 */
export async function acceptOffer(
  tx: PoolClient,
  deps: QueueIndexDeps,
  actor: Actor,
  command: { offerId: string; method?: "electronic" | "in_person" | undefined; leaveNow?: boolean | undefined },
  now: Date,
  cause: Cause,
): Promise<EnrollmentRow> {
  const { offerId } = command;
  const seen = await findOffer(tx, offerId);
  if (!seen) throw enrollmentError("OFFER_NOT_FOUND", `no offer ${offerId}`);
  const seenApplication = (await findApplication(tx, seen.applicationId))!;
  await requireFamily(tx, actor, seenApplication, { action: "offer.accepted", subjectId: offerId, now });
  const signature = { method: decideSignatureMethod(actor.role, command.method), signedBy: actor.subject, signedRole: actor.role };
  return signContract(tx, deps, { offerId, application: seenApplication, signature, leaveNow: command.leaveNow === true }, now, cause);
}

/** Who signed a contract, and how. */
export interface Signature {
  method: "electronic" | "in_person";
  signedBy: string;
  signedRole: string;
}

/**
 * The contract of an open offer is signed and the child's enrollment starts (`acceptOffer`, once
 * it knows who may sign; a walk-in at the provider's desk). `application` is the offer's, as read
 * before any lock.
 */
export async function signContract(
  tx: PoolClient,
  deps: QueueIndexDeps,
  command: { offerId: string; application: ApplicationRow; signature: Signature; leaveNow: boolean },
  now: Date,
  cause: Cause,
): Promise<EnrollmentRow> {
  const { offerId, application: seenApplication, signature } = command;
  await lockChild(tx, seenApplication.childId);
  // A transfer ends the enrollment it leaves below, which frees a seat there: that group's queue
  // lock goes right after the child's (a submission's order), before any row lock.
  const leaving = seenApplication.transferOf ? await findEnrollment(tx, seenApplication.transferOf) : undefined;
  if (leaving) await lockGroupQueue(tx, leaving.groupId);
  const offer = (await findOffer(tx, offerId, true))!;
  if (offer.status !== "open") throw enrollmentError("OFFER_NOT_OPEN", `the offer is ${offer.status}`);
  if (now >= offer.deadlineAt) throw enrollmentError("OFFER_EXPIRED", `the offer expired at ${offer.deadlineAt.toISOString()}`);
  const application = (await findApplication(tx, offer.applicationId, true))!;
  const certificate = await findCertificateOfChild(tx, application.childId);
  if (certificate?.status !== "active") {
    throw enrollmentError(certificate?.status === "suspended" ? "CERTIFICATE_SUSPENDED" : "CERTIFICATE_MISSING", "the child's certificate is not in force");
  }
  const group = (await findGroup(tx, application.groupId))!;
  assertCertificationInForce(group, group.timeZone, now);
  const active = enrollmentsKept(await activeEnrollmentsOfChild(tx, application.childId), application.transferOf);
  if (active.some((e) => e.programId === application.programId)) {
    throw enrollmentError("ALREADY_ENROLLED_IN_PROGRAM", "the child is already enrolled in this program");
  }
  if (active.some((e) => schedulesClash(e, group))) {
    throw enrollmentError("SCHEDULE_CLASH", "the group's lessons overlap lessons of a group the child is enrolled in; end that enrollment first");
  }
  const enrollmentId = uuidv7({ msecs: now.getTime() });
  const contractId = uuidv7({ msecs: now.getTime() });
  await decideOffer(tx, offer.id, "accepted", signature.signedBy, now);
  await setApplicationStatus(tx, application.id, { status: "enrolled" }, now);
  await insertEnrollmentWithContract(
    tx,
    { id: enrollmentId, applicationId: application.id, municipalityId: application.municipalityId, groupId: application.groupId, programId: application.programId, providerId: application.providerId, childId: application.childId },
    { id: contractId, offerId: offer.id, ...signature },
    now,
  );
  const origin = { ...cause, municipalityId: application.municipalityId, aggregateId: enrollmentId };
  await emit(tx, ContractSigned, origin, {
    ...applicationRef(application),
    offerId: offer.id,
    contractId,
    enrollmentId,
    method: signature.method,
    signedBy: signature.signedBy,
    signedAt: now.toISOString(),
  }, now);
  await emit(tx, EnrollmentStarted, origin, { enrollmentId, groupId: application.groupId, programId: application.programId, childId: application.childId }, now);
  if (leaving) {
    // The transfer is complete: the enrollment left ends now, in this transaction, so the child
    // never holds both seats nor neither. Reason "withdrawn": leaving was the family's choice
    // (the provider did not expel, the program was not completed); EnrollmentEnded frees the
    // seat in the catalogue and the seat left is offered on. Already ended (the provider
    // expelled meanwhile): nothing more to end.
    const left = (await findEnrollment(tx, leaving.id, true))!;
    // The child keeps learning until the new group starts: the old enrollment runs through the
    // day before (the sweep ends it), unless the family asks to leave at once or the new group
    // has started already.
    const lastDay = dayBefore(group.startsOn);
    if (left.status === "active" && !command.leaveNow && lastDay >= localDay(now, group.timeZone)) {
      await scheduleLeaving(tx, left.id, lastDay, enrollmentId);
    } else if (left.status === "active") {
      await closeEnrollment(tx, left, "withdrawn", signature.signedBy, now, cause);
      copyQueueAfterCommit(tx, deps, leaving.groupId);
    }
  }
  return (await findEnrollment(tx, enrollmentId))!;
}

async function lapse(tx: PoolClient, offer: OfferRow, reason: "declined" | "expired", by: string | null, now: Date, cause: Cause): Promise<void> {
  const application = (await findApplication(tx, offer.applicationId, true))!;
  await decideOffer(tx, offer.id, reason, by, now);
  await setApplicationStatus(tx, application.id, { status: reason }, now);
  await emit(tx, OfferLapsed, { ...cause, municipalityId: offer.municipalityId, aggregateId: application.id }, { ...applicationRef(application), offerId: offer.id, reason }, now);
}

/** The family declines: the seat passes to the next in the queue at once, and the queue is copied to Redis once this commits. */
export async function declineOffer(tx: PoolClient, deps: QueueIndexDeps, actor: Actor, offerId: string, now: Date, cause: Cause): Promise<OfferRow> {
  const seen = await findOffer(tx, offerId);
  if (!seen) throw enrollmentError("OFFER_NOT_FOUND", `no offer ${offerId}`);
  const by = (await requireFamily(tx, actor, (await findApplication(tx, seen.applicationId))!, { action: "offer.declined", subjectId: offerId, now })).subject;
  await lockGroupQueue(tx, seen.groupId);
  const offer = (await findOffer(tx, offerId, true))!;
  if (offer.status !== "open") throw enrollmentError("OFFER_NOT_OPEN", `the offer is ${offer.status}`);
  await lapse(tx, offer, "declined", by, now, cause);
  await fillSeats(tx, offer.groupId, now, cause);
  copyQueueAfterCommit(tx, deps, offer.groupId);
  return (await findOffer(tx, offerId))!;
}

/** Expire the group's offers past their deadline and pass their seats on. */
export async function expireOffers(tx: PoolClient, groupId: string, now: Date, cause: Cause): Promise<number> {
  await lockGroupQueue(tx, groupId);
  const offers = await expiredOffersOfGroup(tx, groupId, now);
  for (const offer of offers) await lapse(tx, offer, "expired", null, now, cause);
  if (offers.length > 0) await fillSeats(tx, groupId, now, cause);
  return offers.length;
}

/**
 * Who may end an enrollment for which reason: the family withdraws (or an operator for it), the
 * provider expels, and completion is recorded by the provider or the office. Returns the
 * subject who ends it.
 */
async function authorizeEnd(tx: PoolClient, actor: Actor, enrollment: EnrollmentRow, reason: EndReason, now: Date): Promise<string> {
  requireRole(actor, "guardian", "operator", "provider");
  // Whose enrollment it is first: a stranger learns nothing of the rules for its reasons.
  const by = actor.role === "provider" ? requireProvider(actor, enrollment).subject : (await requireFamily(tx, actor, enrollment)).subject;
  const allowed: Record<EndReason, readonly string[]> = { withdrawn: ["guardian", "operator"], expelled: ["provider"], completed: ["provider", "operator"] };
  if (!allowed[reason].includes(actor.role)) {
    throw enrollmentError("END_REASON_NOT_ALLOWED", `${actor.role} may not end an enrollment as ${reason}`, { field: "reason" });
  }
  if (actor.role !== "provider") {
    const action = reason === "withdrawn" ? "enrollment.withdrawn" : "enrollment.completed";
    const act = familyActOf(actor, enrollment, { action, subjectId: enrollment.id, now });
    if (act) await insertFamilyActs(tx, [act]);
  }
  return by;
}

/**
 * An enrollment ends (completion, the family's withdrawal, the provider's expulsion); its
 * contract ends with it, the seat is offered on, and the queue is copied to Redis once this
 * commits.
 */
export async function endEnrollmentOf(
  tx: PoolClient,
  deps: QueueIndexDeps,
  actor: Actor,
  command: { enrollmentId: string; reason: EndReason; comment?: string | null | undefined },
  now: Date,
  cause: Cause,
): Promise<EnrollmentRow> {
  const { enrollmentId, reason } = command;
  const comment = command.comment?.trim() ? command.comment.trim() : null;
  // The family reads why its child was expelled, and may answer: a provider must say why.
  if (reason === "expelled" && comment === null) {
    throw enrollmentError("EXPULSION_REASON_REQUIRED", "say why the child is expelled, in words the family reads: they may answer them", { field: "comment" });
  }
  const seen = await findEnrollment(tx, enrollmentId);
  if (!seen) throw enrollmentError("ENROLLMENT_NOT_FOUND", `no enrollment ${enrollmentId}`);
  const by = await authorizeEnd(tx, actor, seen, reason, now);
  await lockGroupQueue(tx, seen.groupId);
  const enrollment = (await findEnrollment(tx, enrollmentId, true))!;
  if (enrollment.status !== "active") throw enrollmentError("ENROLLMENT_NOT_ACTIVE", "the enrollment has ended already");
  await closeEnrollment(tx, enrollment, reason, by, now, cause, comment);
  copyQueueAfterCommit(tx, deps, enrollment.groupId);
  return (await findEnrollment(tx, enrollment.id))!;
}

/** Who ends what the service ends on its own (a group's end date, a closed certificate). */
export const SYSTEM = "system";

/**
 * End an active enrollment and its contract, announce it (EnrollmentEnded: the catalogue frees
 * the seat), tell the family and offer the seat on. The caller holds the group's queue lock and
 * the enrollment's row.
 */
export async function closeEnrollment(tx: PoolClient, enrollment: EnrollmentRow, reason: EndReason, by: string, now: Date, cause: Cause, comment: string | null = null): Promise<void> {
  await endEnrollment(tx, enrollment.id, reason, by, now, comment);
  await emit(tx, EnrollmentEnded, { ...cause, municipalityId: enrollment.municipalityId, aggregateId: enrollment.id }, {
    enrollmentId: enrollment.id,
    groupId: enrollment.groupId,
    programId: enrollment.programId,
    childId: enrollment.childId,
    reason,
  }, now);
  await notifyEnrollmentEnded(tx, enrollment, reason, now, cause);
  await fillSeats(tx, enrollment.groupId, now, cause);
}

/**
 * A transfer completes: the enrollment left ends once its last day is over in its group's zone
 * (withdrawn: leaving was the family's choice), and its seat is offered on. The child's row first,
 * then the group's queue: the order an acceptance takes. Returns 1 when it ended it.
 */
export async function endLeftEnrollment(tx: PoolClient, due: { id: string; childId: string; groupId: string }, now: Date): Promise<number> {
  await lockChild(tx, due.childId);
  await lockGroupQueue(tx, due.groupId);
  const enrollment = (await findEnrollment(tx, due.id, true))!;
  const group = await findGroup(tx, due.groupId);
  if (enrollment.status !== "active" || enrollment.leavesOn === null || !group || enrollment.leavesOn >= localDay(now, group.timeZone)) return 0;
  await closeEnrollment(tx, enrollment, "withdrawn", SYSTEM, now, {});
  return 1;
}

/**
 * The family answers the reasons its child was expelled for (a guardian, or an operator for the
 * family at the office): the provider and the office read the answer beside the reasons.
 */
export async function answerExpulsion(tx: PoolClient, actor: Actor, command: { enrollmentId: string; text: string }, now: Date): Promise<EnrollmentRow> {
  const seen = await findEnrollment(tx, command.enrollmentId);
  if (!seen) throw enrollmentError("ENROLLMENT_NOT_FOUND", `no enrollment ${command.enrollmentId}`);
  const by = (await requireFamily(tx, actor, seen, { action: "enrollment.expulsion-answered", subjectId: seen.id, now })).subject;
  const enrollment = (await findEnrollment(tx, seen.id, true))!;
  if (enrollment.endReason !== "expelled") throw enrollmentError("NOT_EXPELLED", "only an expulsion can be answered: this enrollment was not ended by the provider");
  await recordFamilyAnswer(tx, enrollment.id, command.text.trim(), by, now);
  return (await findEnrollment(tx, enrollment.id))!;
}
