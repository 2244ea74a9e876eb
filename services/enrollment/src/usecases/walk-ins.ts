import { requireBasis, requireRole, type Actor } from "@kruzhok/actor";
import type { Cause } from "@kruzhok/messaging";
import type { PoolClient } from "@kruzhok/postgres";
import { enrollmentError } from "../domain/errors";
import { insertFamilyActs } from "../store/audit";
import { findApplication, type ApplicationRow } from "../store/applications";
import type { EnrollmentRow } from "../store/enrollments";
import { offersOfApplication } from "../store/offers";
import { certificatesNumbered, findGroup } from "../store/projections";
import { familyActOf, requireProvider } from "./access";
import { reviewApplication } from "./applications";
import { signContract } from "./offers";
import { submitApplication, type SubmissionDeps } from "./submission";

/** A family at the provider's desk: the certificate's number and the child's birth date, as the family shows them. */
export interface WalkIn {
  groupId: string;
  certificateNumber: string;
  birthDate: string;
}

/** What became of the walk-in: enrolled at once, or waiting in the queue like any other application. */
export interface WalkInOutcome {
  application: ApplicationRow;
  enrollment: EnrollmentRow | null;
}

/**
 * A provider enrolls a family that walked in. The child is found by the certificate's number and
 * checked against the birth date the family states (the same refusal for a wrong number and a
 * wrong date, so that a desk cannot probe numbers). The application is the provider's, on the
 * basis it states (the family's paper, in the family's audit trail); the provider's review is
 * given at once. A walk-in jumps no queue: when a seat is free and nobody waits ahead, the offer
 * it is made is signed on paper at the desk and the enrollment starts; otherwise the
 * application waits in the queue as any other, and the family is told as any other.
 */
export async function enrollWalkIn(tx: PoolClient, deps: SubmissionDeps, actor: Actor, walkIn: WalkIn, now: Date, cause: Cause): Promise<WalkInOutcome> {
  requireRole(actor, "provider");
  const group = await findGroup(tx, walkIn.groupId);
  if (!group) throw enrollmentError("GROUP_NOT_FOUND", `no group ${walkIn.groupId}`, { field: "groupId" });
  requireProvider(actor, group);
  // Before anything is looked up: the paper the family signed is what the desk acts on.
  requireBasis(actor, ["provider"]);
  const certificate = (await certificatesNumbered(tx, walkIn.certificateNumber)).find((c) => c.birthDate === walkIn.birthDate);
  if (!certificate) {
    throw enrollmentError(
      "WALK_IN_NOT_MATCHED",
      "no certificate with this number belongs to a child born on this date: check both against the family's certificate and the child's document",
      { field: "certificateNumber" },
    );
  }
  const submitted = await submitApplication(tx, deps, { actor, command: { childId: certificate.childId, groupId: group.id }, now, cause });
  const owned = { municipalityId: submitted.municipalityId, childId: submitted.childId };
  const acts = [familyActOf(actor, owned, { action: "application.submitted", subjectId: submitted.id, now }, ["provider"])!];
  // The provider saw the family at its desk: its review is given now, and a free seat is offered.
  const reviewed = await reviewApplication(tx, deps, actor, { applicationId: submitted.id, decision: "confirmed", comment: null }, now, cause);
  const offer = (await offersOfApplication(tx, reviewed.id)).find((o) => o.status === "open");
  let enrollment: EnrollmentRow | null = null;
  if (offer) {
    const signature = { method: "in_person" as const, signedBy: actor.subject, signedRole: actor.role };
    enrollment = await signContract(tx, deps, { offerId: offer.id, application: reviewed, signature, leaveNow: false }, now, cause);
    acts.push(familyActOf(actor, owned, { action: "offer.accepted", subjectId: offer.id, now }, ["provider"])!);
  }
  await insertFamilyActs(tx, acts);
  return { application: (await findApplication(tx, submitted.id))!, enrollment };
}
