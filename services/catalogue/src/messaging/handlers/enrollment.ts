import { EnrollmentEnded, EnrollmentStarted } from "@kruzhok/contracts";
import { handlerFor } from "@kruzhok/messaging";
import { endEnrollment, startEnrollment } from "../../store/reference";
import type { CatalogueDeps } from "../../deps";

/** Free seats and review rights follow enrollment: a started enrollment takes a seat, an ended one frees it. */
export function enrollmentHandlers(deps: Pick<CatalogueDeps, "clock">) {
  return [
    handlerFor(EnrollmentStarted, async (event, { tx }) => {
      await startEnrollment(tx, event.data, deps.clock());
    }),
    handlerFor(EnrollmentEnded, async (event, { tx }) => {
      await endEnrollment(tx, event.data, event.data.reason, deps.clock());
    }),
  ];
}
