import type { EventContract, EventEnvelope } from "@kruzhok/contracts";
import type { z } from "zod";
import type { Fact, SubjectFact } from "../../usecases/record";

/** What one consumed event type says for the aggregates: its fact, a pure function of the event. */
export interface FactOf<C extends EventContract = EventContract> {
  contract: C;
  fact(event: EventEnvelope<z.infer<C["data"]>>): Fact;
}

/** Helps TypeScript infer the event's data type from the contract (as `handlerFor` does). */
export function factOf<C extends EventContract>(contract: C, fact: FactOf<C>["fact"]): FactOf<C> {
  return { contract, fact };
}

/** The fact of events about counted subjects: each of them, one per subject. */
export const subjects = (...facts: SubjectFact[]): Fact => ({ kind: "subjects", facts });
