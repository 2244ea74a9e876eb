import { MonthSummarised } from "@kruzhok/contracts";
import { causeOf, handlerFor } from "@kruzhok/messaging";
import { billMonth } from "../../usecases/billing";
import type { PaymentsDeps } from "../../deps";

/** Attendance's month summaries: each enrollment's month billed once per version. */
export function onAttendanceEvents(deps: PaymentsDeps) {
  return [
    handlerFor(MonthSummarised, async (event, { tx }) => {
      await billMonth(deps, tx, event.municipalityId, event.data, causeOf(event));
    }),
  ];
}
