import { EnrollmentEnded, EnrollmentStarted } from "@kruzhok/contracts";
import { causeOf, handlerFor } from "@kruzhok/messaging";
import { enrollmentEnded, enrollmentStarted } from "../../usecases/reservations";
import type { PaymentsDeps } from "../../deps";

/** Enrollment's enrollments: which child is in which group; a financed one reserves its expected cost, and its end releases it. */
export function onEnrollmentEvents(deps: PaymentsDeps) {
  return [
    handlerFor(EnrollmentStarted, (event, { tx }) =>
      enrollmentStarted(deps, tx, { id: event.data.enrollmentId, municipalityId: event.municipalityId, groupId: event.data.groupId, childId: event.data.childId }, causeOf(event)),
    ),
    handlerFor(EnrollmentEnded, (event, { tx }) =>
      enrollmentEnded(deps, tx, { id: event.data.enrollmentId, municipalityId: event.municipalityId, groupId: event.data.groupId, childId: event.data.childId }, causeOf(event)),
    ),
  ];
}
