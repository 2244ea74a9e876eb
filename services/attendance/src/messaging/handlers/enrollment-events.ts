import { EnrollmentEnded, EnrollmentStarted } from "@kruzhok/contracts";
import { causeOf, handlerFor } from "@kruzhok/messaging";
import { recordEnrollment } from "../../usecases/projections";
import type { AttendanceDeps } from "../../deps";

/**
 * Rosters follow enrollment: a started enrollment puts the child on the group's roster from the
 * local day of the event, an ended one takes it off from its day. A transfer is an end in one
 * group and a start in another.
 */
export function onEnrollmentEvents(deps: AttendanceDeps) {
  return [
    handlerFor(EnrollmentStarted, (event, { tx }) =>
      recordEnrollment(deps, tx, { ...event.data, municipalityId: event.municipalityId, kind: "started", at: new Date(event.occurredAt) }, causeOf(event)),
    ),
    handlerFor(EnrollmentEnded, (event, { tx }) =>
      recordEnrollment(deps, tx, { ...event.data, municipalityId: event.municipalityId, kind: "ended", at: new Date(event.occurredAt) }, causeOf(event)),
    ),
  ];
}
