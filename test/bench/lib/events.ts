import { randomInt, randomUUID } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import { z } from "zod";
import { defineEvent, envelopeOf, type EventEnvelope } from "@kruzhok/contracts";
import { newEvent } from "@kruzhok/messaging";

/** A made-up but realistically shaped event: a child asks for a seat in a programme. */
export const seatRequested = (topic: string) =>
  defineEvent(topic, "bench.seat.requested", 1, z.object({ seat: z.number().int().nonnegative() }));

const municipalityId = randomUUID();

/** A valid envelope, built and validated by `newEvent` as service code does; ~330 bytes as JSON. */
export function benchEvent(topic: string, now = new Date()): EventEnvelope {
  return newEvent(seatRequested(topic), { municipalityId, aggregateId: randomUUID() }, { seat: randomInt(0, 1_000) }, now);
}

/**
 * Many envelopes for bulk set-up (an outbox backlog, a producer's input): the first from
 * `newEvent`, the rest as copies with fresh ids, each validated by the same envelope schema.
 * REVIEW: newEvent rebuilds the envelope schema on every call (envelopeOf → extend + first parse,
 * ~100 µs against ~2 µs for a cached schema), which makes 100k of them take ~10 s on this
 * machine. Call newEvent per event here once packages/messaging caches the schema per contract.
 */
export function benchEvents(topic: string, count: number, now = new Date()): EventEnvelope[] {
  const contract = seatRequested(topic);
  const schema = envelopeOf(contract);
  const template = benchEvent(topic, now);
  const events: EventEnvelope[] = [template];
  for (let i = 1; i < count; i++) {
    const id = uuidv7();
    events.push(
      schema.parse({ ...template, id, correlationId: id, aggregateId: randomUUID(), data: { seat: randomInt(0, 1_000) } }),
    );
  }
  return events;
}

export function averageBytes(values: readonly string[]): number {
  if (values.length === 0) return 0;
  return Math.round(values.reduce((sum, value) => sum + Buffer.byteLength(value), 0) / values.length);
}
