import type { EventEnvelope } from "@kruzhok/contracts";
import type { Cause } from "@kruzhok/messaging";

/** What an event handled here causes: the events it leads to share its correlation and name it as their cause. */
export function causeOf(event: Pick<EventEnvelope, "id" | "correlationId">): Cause {
  return { correlationId: event.correlationId, causationId: event.id };
}
