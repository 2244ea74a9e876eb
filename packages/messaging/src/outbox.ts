import type { z } from "zod";
import type { EventContract, EventEnvelope } from "@kruzhok/contracts";
import type { Queryable } from "@kruzhok/postgres";
import { newEvent, type EventOrigin } from "./events";

export interface OutboxEntry {
  topic: string;
  event: EventEnvelope;
}

/** One outbox row as the relay reads it: the event's id, its topic, the aggregate id as key, the envelope as JSON. */
export interface OutboxRow {
  eventId: string;
  topic: string;
  messageKey: string;
  type: string;
  payload: string;
}

/**
 * The row `appendToOutbox` writes for `entry`, for a statement that writes events together with
 * the rows they announce (data-modifying CTEs).
 */
export function outboxRow(entry: OutboxEntry): OutboxRow {
  return { eventId: entry.event.id, topic: entry.topic, messageKey: entry.event.aggregateId, type: entry.event.type, payload: JSON.stringify(entry.event) };
}

/** The relays of this process (`OutboxRelay`), woken by every append made here. */
const relaysToWake = new Set<() => void>();

/** Wake `wake` (a relay of this process) whenever this process appends to the outbox; returns the unsubscribe. */
export function onOutboxAppend(wake: () => void): () => void {
  relaysToWake.add(wake);
  return () => relaysToWake.delete(wake);
}

/**
 * Tell this process's relays that a transaction here wrote to the outbox: an idle relay polls
 * seldom (it backs off while the outbox stays empty) and would otherwise find the row only at
 * its next poll. `appendToOutbox` calls it; a statement that writes outbox rows itself (a
 * data-modifying CTE with `outboxRow`) calls it too. The relay's next round may come before the
 * caller's COMMIT; it then polls again soon (OutboxRelay).
 */
export function outboxAppended(): void {
  for (const wake of relaysToWake) wake();
}

/**
 * Write events into the outbox in the caller's transaction, beside the state change they
 * announce. Nothing is sent here: the relay publishes after COMMIT, so a state change is never
 * announced without being saved, nor saved without being announced.
 */
export async function appendToOutbox(tx: Queryable, entries: readonly OutboxEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const values: unknown[] = [];
  const rows = entries.map((entry, index) => {
    const base = index * 5;
    const row = outboxRow(entry);
    values.push(row.eventId, row.topic, row.messageKey, row.type, row.payload);
    return `($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5})`;
  });
  await tx.query(
    `INSERT INTO outbox (event_id, topic, message_key, type, payload) VALUES ${rows.join(", ")}`,
    values,
  );
  outboxAppended();
}

/** Build an event of `contract` and write it to the outbox in `tx`: the one-liner services use. */
export async function emit<C extends EventContract>(
  tx: Queryable,
  contract: C,
  origin: EventOrigin,
  data: z.input<C["data"]>,
  now: Date,
): Promise<EventEnvelope<z.infer<C["data"]>>> {
  const event = newEvent(contract, origin, data, now);
  await appendToOutbox(tx, [{ topic: contract.topic, event }]);
  return event;
}
