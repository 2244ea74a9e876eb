import type { EventEnvelope } from "@kruzhok/contracts";
import type { Cause } from "@kruzhok/messaging";

/** What an event causes carries its correlation on, and names the event as its cause. */
export const causeOf = (event: EventEnvelope): Cause => ({ correlationId: event.correlationId, causationId: event.id });
