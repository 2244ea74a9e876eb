import { causeOf, handlerFor, type BatchHandler, type EventHandler } from "@kruzhok/messaging";
import { recordFact, recordFacts } from "../../usecases/record";
import type { StatisticsDeps } from "../../deps";
import { attendanceFacts } from "./attendance-events";
import { catalogueFacts } from "./catalogue-events";
import { enrollmentFacts } from "./enrollment-events";
import type { FactOf } from "./facts";
import { paymentsFacts } from "./payments-events";
import { registryFacts } from "./registry-events";

/** Every event type statistics consumes and the fact each says, one per type and version. */
const facts = (): FactOf[] => [...registryFacts(), ...catalogueFacts(), ...enrollmentFacts(), ...attendanceFacts(), ...paymentsFacts()] as FactOf[];

/** Every event statistics consumes, one handler per type and version: each calls recordFact. */
export function eventHandlers(deps: StatisticsDeps): EventHandler[] {
  return facts().map((one) => handlerFor(one.contract, (event, { tx }) => recordFact(deps, tx, event, one.fact(event), causeOf(event))));
}

/**
 * The consumers' batch mode: the events of one fetch of a partition recorded together
 * (recordFacts, one statement per kind of write). The same facts as `eventHandlers`, which the
 * runner falls back to, one event at a time, when a batch fails.
 */
export function batchHandler(deps: StatisticsDeps): BatchHandler {
  const byType = new Map(facts().map((one) => [`${one.contract.type}@${one.contract.version}`, one]));
  return {
    // Six batches at once (main.ts): their subjects' locks must fit Postgres's lock table.
    maxEvents: 500,
    handle: (events, { tx }) =>
      recordFacts(
        deps,
        tx,
        events.map(({ event, contract, topic, partition, offset }) => {
          const one = byType.get(`${contract.type}@${contract.version}`);
          if (!one) throw new Error(`statistics has no fact for ${contract.type} v${contract.version}`);
          return { source: event, fact: one.fact(event), position: { topic, partition, offset } };
        }),
      ),
  };
}
