import { MonthSummarised } from "@kruzhok/contracts";
import { causeOf, type BatchEvent, type BatchHandler, type EventHandler } from "@kruzhok/messaging";
import { billMonths, type SummaryToBill } from "../../usecases/billing-batch";
import type { PaymentsDeps } from "../../deps";
import { onAttendanceEvents } from "./attendance-events";
import { onCatalogueEvents } from "./catalogue-events";
import { onEnrollmentEvents } from "./enrollment-events";
import { onRegistryEvents } from "./registry-events";

/** Every event payments consumes, one handler per type and version: each calls one use case. */
export function eventHandlers(deps: PaymentsDeps): EventHandler[] {
  return [...onRegistryEvents(deps), ...onCatalogueEvents(deps), ...onEnrollmentEvents(deps), ...onAttendanceEvents(deps)] as EventHandler[];
}

const isSummary = (e: BatchEvent): e is BatchEvent<typeof MonthSummarised> => e.contract === MonthSummarised;

/**
 * The consumers' batch mode: the month summaries of one fetch billed together (billMonths); any
 * other event handled in its place by its own handler, as `eventHandlers` would. The runner falls
 * back to those, one event at a time, when a batch fails.
 */
export function batchHandler(deps: PaymentsDeps): BatchHandler {
  const handlers = new Map(eventHandlers(deps).map((h) => [`${h.contract.type}@${h.contract.version}`, h]));
  return {
    maxEvents: 1_000,
    async handle(events, context) {
      let summaries: SummaryToBill[] = [];
      const bill = async () => {
        if (summaries.length > 0) await billMonths(deps, context.tx, summaries);
        summaries = [];
      };
      for (const one of events) {
        if (isSummary(one)) {
          summaries.push({ municipalityId: one.event.municipalityId, summary: one.event.data, cause: causeOf(one.event) });
          continue;
        }
        await bill();
        const handler = handlers.get(`${one.contract.type}@${one.contract.version}`);
        if (!handler) throw new Error(`payments has no handler for ${one.contract.type} v${one.contract.version}`);
        await handler.handle(one.event, context);
      }
      await bill();
    },
  };
}
