import type { Queryable } from "@kruzhok/postgres";
import { waitFor } from "./wait";

/** What a consumer did with an event: its effect committed, or the event went to the dead-letter topic. */
export type InboxOutcome = "applied" | "dead_lettered";

/**
 * Wait until a consumer writing to this database has handled event `eventId` and resolve with
 * what it did. The consumer runner records the event id in the inbox in the same transaction as
 * the effect, so "the inbox has it" means "the effect is visible": message-flow tests publish a
 * real message and wait here, not for a while. `consumer` narrows to one consumer group.
 */
export async function eventHandled(
  db: Queryable,
  eventId: string,
  options: { consumer?: string; timeoutMs?: number; what?: string } = {},
): Promise<InboxOutcome> {
  const { consumer, timeoutMs = 20_000 } = options;
  return waitFor(
    async () => {
      const { rows } = await db.query<{ outcome: InboxOutcome }>(
        `SELECT outcome FROM inbox WHERE event_id = $1${consumer === undefined ? "" : " AND consumer = $2"}`,
        consumer === undefined ? [eventId] : [eventId, consumer],
      );
      return rows[0]?.outcome;
    },
    { timeoutMs, what: options.what ?? `a consumer to handle event ${eventId}` },
  );
}
