import { randomBytes } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import type { z } from "zod";
import { envelopeOf, type EventContract, type EventEnvelope } from "@kruzhok/contracts";

/** What caused an event: the request or event a use case acts on, handed down to what it emits. */
export interface Cause {
  /** Shared by everything one user action caused; a new one when absent. */
  correlationId?: string;
  /** The event or request that caused this one. */
  causationId?: string | null;
}

/**
 * What an event handled by a consumer causes: the events it leads to carry its correlation on
 * and name it as their cause.
 */
export function causeOf(event: Pick<EventEnvelope, "id" | "correlationId">): Cause {
  return { correlationId: event.correlationId, causationId: event.id };
}

/** Where an event comes from: its cause, and the municipality and aggregate it is about. */
export type EventOrigin = Cause & {
  municipalityId: string;
  aggregateId: string;
};

/**
 * Random bits for event ids, drawn 4 KiB at a time: uuid draws 16 bytes through WebCrypto for
 * each id otherwise, a measurable share of enrollment's CPU on an opening day, one event per
 * application (BENCHMARKS.md).
 */
const RANDOM_POOL_BYTES = 4_096;
let randomPool = Buffer.alloc(0);
let randomUsed = 0;
function random16(): Uint8Array {
  if (randomUsed + 16 > randomPool.length) {
    randomPool = randomBytes(RANDOM_POOL_BYTES);
    randomUsed = 0;
  }
  randomUsed += 16;
  return randomPool.subarray(randomUsed - 16, randomUsed);
}

/**
 * Build an event of one contract. Time and id generation are inputs so that domain code stays
 * pure; the envelope is validated here, so a malformed event never reaches the outbox.
 */
export function newEvent<C extends EventContract>(
  contract: C,
  origin: EventOrigin,
  data: z.input<C["data"]>,
  now: Date,
  id: string = uuidv7({ msecs: now.getTime(), random: random16() }),
): EventEnvelope<z.infer<C["data"]>> {
  const envelope = {
    id,
    type: contract.type,
    version: contract.version,
    occurredAt: now.toISOString(),
    municipalityId: origin.municipalityId,
    aggregateId: origin.aggregateId,
    correlationId: origin.correlationId ?? id,
    causationId: origin.causationId ?? null,
    data,
  };
  return envelopeOf(contract).parse(envelope) as EventEnvelope<z.infer<C["data"]>>;
}
