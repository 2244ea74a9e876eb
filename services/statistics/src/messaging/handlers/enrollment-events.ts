import {
  ApplicationRefused,
  ApplicationReviewed,
  ApplicationSubmitted,
  ApplicationWithdrawn,
  ContractSigned,
  EnrollmentEnded,
  EnrollmentStarted,
  OfferLapsed,
  OfferMade,
} from "@kruzhok/contracts";
import { causeOf, handlerFor } from "@kruzhok/messaging";
import { recordFact, type SubjectFact } from "../../usecases/record";
import type { StatisticsDeps } from "../../deps";

/** Milliseconds are enough for a waiting time; the queue's instant carries microseconds. */
const toMillis = (instant: string) => new Date(instant.replace(/(\.\d{3})\d+/, "$1")).toISOString();

/** Applications in queues, offers and their outcomes, enrollments and the children they enroll. */
export function onEnrollmentEvents(deps: StatisticsDeps) {
  const application = (applicationId: string, kind: SubjectFact["kind"], attrs: SubjectFact["attrs"] = {}): SubjectFact => ({
    subject: { type: "application", id: applicationId },
    kind,
    attrs,
  });
  return [
    handlerFor(ApplicationSubmitted, (event, { tx }) =>
      recordFact(deps, tx, event, { kind: "subjects", facts: [application(event.data.applicationId, "application.submitted", { acceptedAt: toMillis(event.data.acceptedAt) })] }, causeOf(event)),
    ),
    handlerFor(ApplicationRefused, (event, { tx }) =>
      recordFact(deps, tx, event, { kind: "subjects", facts: [application(event.data.applicationId, "application.left")] }, causeOf(event)),
    ),
    handlerFor(ApplicationWithdrawn, (event, { tx }) =>
      recordFact(deps, tx, event, { kind: "subjects", facts: [application(event.data.applicationId, "application.left")] }, causeOf(event)),
    ),
    handlerFor(ApplicationReviewed, (event, { tx }) =>
      recordFact(
        deps,
        tx,
        event,
        { kind: "subjects", facts: event.data.decision === "rejected" ? [application(event.data.applicationId, "application.left")] : [] },
        causeOf(event),
      ),
    ),
    handlerFor(OfferMade, (event, { tx }) =>
      recordFact(deps, tx, event, { kind: "subjects", facts: [application(event.data.applicationId, "offer.made")] }, causeOf(event)),
    ),
    handlerFor(OfferLapsed, (event, { tx }) =>
      recordFact(deps, tx, event, { kind: "subjects", facts: [application(event.data.applicationId, "offer.lapsed", { reason: event.data.reason })] }, causeOf(event)),
    ),
    handlerFor(ContractSigned, (event, { tx }) =>
      recordFact(deps, tx, event, { kind: "subjects", facts: [application(event.data.applicationId, "contract.signed")] }, causeOf(event)),
    ),
    handlerFor(EnrollmentStarted, (event, { tx }) =>
      recordFact(
        deps,
        tx,
        event,
        {
          kind: "subjects",
          facts: [
            { subject: { type: "enrollment", id: event.data.enrollmentId }, kind: "enrollment.started", attrs: { groupId: event.data.groupId } },
            { subject: { type: "child", id: event.data.childId }, kind: "child.enrollment-started", keyed: { enrollmentKey: { type: "enrollment", id: event.data.enrollmentId } } },
          ],
        },
        causeOf(event),
      ),
    ),
    handlerFor(EnrollmentEnded, (event, { tx }) =>
      recordFact(
        deps,
        tx,
        event,
        {
          kind: "subjects",
          facts: [
            { subject: { type: "enrollment", id: event.data.enrollmentId }, kind: "enrollment.ended" },
            { subject: { type: "child", id: event.data.childId }, kind: "child.enrollment-ended", keyed: { enrollmentKey: { type: "enrollment", id: event.data.enrollmentId } } },
          ],
        },
        causeOf(event),
      ),
    ),
  ];
}
