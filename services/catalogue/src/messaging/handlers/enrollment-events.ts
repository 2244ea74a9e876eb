import { EnrollmentEnded, EnrollmentStarted } from "@kruzhok/contracts";
import { causeOf, handlerFor } from "@kruzhok/messaging";
import { recordEnrollmentEnded, recordEnrollmentStarted } from "../../usecases/projections";
import type { CatalogueDeps } from "../../deps";

/** Free seats and review rights follow enrollment: a started enrollment takes a seat, an ended one frees it. */
export function onEnrollmentEvents(deps: CatalogueDeps) {
  return [
    handlerFor(EnrollmentStarted, (event, { tx }) => recordEnrollmentStarted(deps, tx, { ...event.data, municipalityId: event.municipalityId }, causeOf(event))),
    handlerFor(EnrollmentEnded, (event, { tx }) => recordEnrollmentEnded(deps, tx, { ...event.data, municipalityId: event.municipalityId }, causeOf(event))),
  ];
}
