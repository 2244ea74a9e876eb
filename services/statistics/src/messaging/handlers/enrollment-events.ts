import {
  ApplicationRefused,
  ApplicationReviewed,
  ApplicationSubmitted,
  ApplicationSubmittedV2,
  ApplicationWithdrawn,
  ContractSigned,
  EnrollmentEnded,
  EnrollmentStarted,
  OfferLapsed,
  OfferMade,
} from "@kruzhok/contracts";
import type { SubjectFact } from "../../usecases/record";
import { factOf, subjects } from "./facts";

/** Milliseconds are enough for a waiting time; the queue's instant carries microseconds. */
const toMillis = (instant: string) => new Date(instant.replace(/(\.\d{3})\d+/, "$1")).toISOString();

/** Applications in queues, offers and their outcomes, enrollments and the children they enroll. */
export function enrollmentFacts() {
  const application = (applicationId: string, kind: SubjectFact["kind"], attrs: SubjectFact["attrs"] = {}): SubjectFact => ({
    subject: { type: "application", id: applicationId },
    kind,
    attrs,
  });
  return [
    factOf(ApplicationSubmittedV2, (event) => subjects(application(event.data.applicationId, "application.submitted", { acceptedAt: toMillis(event.data.acceptedAt) }))),
    factOf(ApplicationSubmitted, (event) => subjects(application(event.data.applicationId, "application.submitted", { acceptedAt: toMillis(event.data.acceptedAt) }))),
    factOf(ApplicationRefused, (event) => subjects(application(event.data.applicationId, "application.left"))),
    factOf(ApplicationWithdrawn, (event) => subjects(application(event.data.applicationId, "application.left"))),
    factOf(ApplicationReviewed, (event) => (event.data.decision === "rejected" ? subjects(application(event.data.applicationId, "application.left")) : subjects())),
    factOf(OfferMade, (event) => subjects(application(event.data.applicationId, "offer.made"))),
    factOf(OfferLapsed, (event) => subjects(application(event.data.applicationId, "offer.lapsed", { reason: event.data.reason }))),
    factOf(ContractSigned, (event) => subjects(application(event.data.applicationId, "contract.signed"))),
    factOf(EnrollmentStarted, (event) =>
      subjects(
        { subject: { type: "enrollment", id: event.data.enrollmentId }, kind: "enrollment.started", attrs: { groupId: event.data.groupId } },
        { subject: { type: "child", id: event.data.childId }, kind: "child.enrollment-started", keyed: { enrollmentKey: { type: "enrollment", id: event.data.enrollmentId } } },
      ),
    ),
    factOf(EnrollmentEnded, (event) =>
      subjects(
        { subject: { type: "enrollment", id: event.data.enrollmentId }, kind: "enrollment.ended" },
        { subject: { type: "child", id: event.data.childId }, kind: "child.enrollment-ended", keyed: { enrollmentKey: { type: "enrollment", id: event.data.enrollmentId } } },
      ),
    ),
  ];
}
