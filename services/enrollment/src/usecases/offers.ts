import { v7 as uuidv7 } from "uuid";
import { ContractSigned, EnrollmentEnded, EnrollmentStarted, OfferLapsed } from "@kruzhok/contracts";
import { emit } from "@kruzhok/messaging";
import type { PoolClient } from "@kruzhok/postgres";
import { enrollmentsKept, schedulesClash } from "../domain/application";
import { enrollmentError } from "../domain/errors";
import { activeEnrollmentsOfChild, findApplication, lockGroupQueue, setApplicationStatus, type ApplicationRow } from "../store/applications";
import { endEnrollment, findEnrollment, insertEnrollmentWithContract, type EndReason, type EnrollmentRow } from "../store/enrollments";
import { decideOffer, expiredOffersOfGroup, findOffer, type OfferRow } from "../store/offers";
import { findCertificateOfChild, findGroup, lockChild } from "../store/reference";
import { notifyEnrollmentEnded } from "./notifications";
import { fillSeats, refOf, type Origin } from "./seats";

export interface Signature {
  method: "electronic" | "in_person";
  /** Subject of the guardian who signed, or of the operator who recorded an in-person signature. */
  signedBy: string;
  signedRole: string;
}

/**
 * Accept an offer: the contract is signed (electronically by the guardian, or in person with an
 * operator recording it) and the child's enrollment starts. The child's row is locked first, as
 * a submission does, so the schedule and same-program rules are checked again against
 * enrollments that started since the application. Takes no queue lock: an acceptance frees no
 * seat and moves no queue (the offer already holds the seat).
 */
export async function acceptOffer(
  tx: PoolClient,
  offerId: string,
  /** Checks the caller and says who signs how. */
  authorize: (offer: OfferRow, application: ApplicationRow) => Promise<Signature>,
  now: Date,
  origin: Origin,
): Promise<EnrollmentRow> {
  const seen = await findOffer(tx, offerId);
  if (!seen) throw enrollmentError("OFFER_NOT_FOUND", `no offer ${offerId}`);
  const seenApplication = (await findApplication(tx, seen.applicationId))!;
  const signature = await authorize(seen, seenApplication);
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
  const envelope = { ...origin, municipalityId: application.municipalityId, aggregateId: enrollmentId };
  await emit(tx, ContractSigned, envelope, {
    ...refOf(application),
    offerId: offer.id,
    contractId,
    enrollmentId,
    method: signature.method,
    signedBy: signature.signedBy,
    signedAt: now.toISOString(),
  }, now);
  await emit(tx, EnrollmentStarted, envelope, { enrollmentId, groupId: application.groupId, programId: application.programId, childId: application.childId }, now);
  if (leaving) {
    // The transfer is complete: the enrollment left ends now, in this transaction, so the child
    // never holds both seats nor neither. Reason "withdrawn": leaving was the family's choice
    // (the provider did not expel, the program was not completed); EnrollmentEnded frees the
    // seat in the catalogue and the seat left is offered on. Already ended (the provider
    // expelled meanwhile): nothing more to end.
    const left = (await findEnrollment(tx, leaving.id, true))!;
    if (left.status === "active") await closeEnrollment(tx, left, "withdrawn", signature.signedBy, now, origin);
  }
  return (await findEnrollment(tx, enrollmentId))!;
}

async function lapse(tx: PoolClient, offer: OfferRow, reason: "declined" | "expired", by: string | null, now: Date, origin: Origin): Promise<void> {
  const application = (await findApplication(tx, offer.applicationId, true))!;
  await decideOffer(tx, offer.id, reason, by, now);
  await setApplicationStatus(tx, application.id, { status: reason }, now);
  await emit(tx, OfferLapsed, { ...origin, municipalityId: offer.municipalityId, aggregateId: application.id }, { ...refOf(application), offerId: offer.id, reason }, now);
}

/** The family declines: the seat passes to the next in the queue at once. */
export async function declineOffer(
  tx: PoolClient,
  offerId: string,
  /** Checks the caller; returns the subject who declines. */
  authorize: (offer: OfferRow, application: ApplicationRow) => Promise<string>,
  now: Date,
  origin: Origin,
): Promise<OfferRow> {
  const seen = await findOffer(tx, offerId);
  if (!seen) throw enrollmentError("OFFER_NOT_FOUND", `no offer ${offerId}`);
  const by = await authorize(seen, (await findApplication(tx, seen.applicationId))!);
  await lockGroupQueue(tx, seen.groupId);
  const offer = (await findOffer(tx, offerId, true))!;
  if (offer.status !== "open") throw enrollmentError("OFFER_NOT_OPEN", `the offer is ${offer.status}`);
  await lapse(tx, offer, "declined", by, now, origin);
  await fillSeats(tx, offer.groupId, now, origin);
  return (await findOffer(tx, offerId))!;
}

/** Expire the group's offers past their deadline and pass their seats on. */
export async function expireOffers(tx: PoolClient, groupId: string, now: Date, origin: Origin): Promise<number> {
  await lockGroupQueue(tx, groupId);
  const offers = await expiredOffersOfGroup(tx, groupId, now);
  for (const offer of offers) await lapse(tx, offer, "expired", null, now, origin);
  if (offers.length > 0) await fillSeats(tx, groupId, now, origin);
  return offers.length;
}

/** An enrollment ends (completion, the family's withdrawal, the provider's expulsion); its contract ends with it and the seat is offered on. */
export async function endEnrollmentOf(
  tx: PoolClient,
  enrollmentId: string,
  reason: EndReason,
  /** Checks the caller; returns the subject who ends it. */
  authorize: (enrollment: EnrollmentRow) => Promise<string>,
  now: Date,
  origin: Origin,
): Promise<EnrollmentRow> {
  const seen = await findEnrollment(tx, enrollmentId);
  if (!seen) throw enrollmentError("ENROLLMENT_NOT_FOUND", `no enrollment ${enrollmentId}`);
  const by = await authorize(seen);
  await lockGroupQueue(tx, seen.groupId);
  const enrollment = (await findEnrollment(tx, enrollmentId, true))!;
  if (enrollment.status !== "active") throw enrollmentError("ENROLLMENT_NOT_ACTIVE", "the enrollment has ended already");
  await closeEnrollment(tx, enrollment, reason, by, now, origin);
  return (await findEnrollment(tx, enrollment.id))!;
}

/** Who ends what the service ends on its own (a group's end date, a closed certificate). */
export const SYSTEM = "system";

/**
 * End an active enrollment and its contract, announce it (EnrollmentEnded: the catalogue frees
 * the seat), tell the family and offer the seat on. The caller holds the group's queue lock and
 * the enrollment's row.
 */
export async function closeEnrollment(tx: PoolClient, enrollment: EnrollmentRow, reason: EndReason, by: string, now: Date, origin: Origin): Promise<void> {
  await endEnrollment(tx, enrollment.id, reason, by, now);
  await emit(tx, EnrollmentEnded, { ...origin, municipalityId: enrollment.municipalityId, aggregateId: enrollment.id }, {
    enrollmentId: enrollment.id,
    groupId: enrollment.groupId,
    programId: enrollment.programId,
    childId: enrollment.childId,
    reason,
  }, now);
  await notifyEnrollmentEnded(tx, enrollment, reason, now, origin);
  await fillSeats(tx, enrollment.groupId, now, origin);
}
