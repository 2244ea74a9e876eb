import { z } from "zod";
import { Instant, MunicipalityId, Uuid, UuidV7 } from "./primitives";

/**
 * Every event on every topic travels in this envelope. `data` is validated by the schema of
 * its `type` and `version`; consumers tolerate fields they do not know (schemas are not strict
 * on the consuming side), and a breaking change is a new version, never an edit.
 */
export const EventEnvelope = z.object({
  id: UuidV7.describe("Event id (UUID v7); the inbox key of every consumer"),
  type: z
    .string()
    .regex(/^[a-z]+(\.[a-z][a-z-]*)+$/, "must look like <service>.<aggregate>.<happened>")
    .describe("Event type, e.g. registry.certificate.issued"),
  version: z.number().int().positive().describe("Schema version of data"),
  occurredAt: Instant.describe("When the change was committed (UTC)"),
  municipalityId: MunicipalityId,
  aggregateId: z.string().min(1).describe("Id of the aggregate; the Kafka message key"),
  correlationId: Uuid.describe("Id shared by everything one user action caused"),
  causationId: Uuid.nullable().describe("Id of the event or request that caused this one"),
  data: z.unknown(),
});
export type EventEnvelope<T = unknown> = Omit<z.infer<typeof EventEnvelope>, "data"> & { data: T };

/** One event type at one version: its name, the topic it travels on and the schema of its data. */
export interface EventContract<Type extends string = string, Data extends z.ZodType = z.ZodType> {
  readonly type: Type;
  readonly version: number;
  readonly topic: string;
  readonly data: Data;
}

export function defineEvent<Type extends string, Data extends z.ZodType>(
  topic: string,
  type: Type,
  version: number,
  data: Data,
): EventContract<Type, Data> {
  return { topic, type, version, data };
}

const envelopes = new WeakMap<EventContract, z.ZodType>();

function buildEnvelope<C extends EventContract>(contract: C) {
  return EventEnvelope.extend({
    type: z.literal(contract.type),
    version: z.literal(contract.version),
    data: contract.data,
  });
}

/**
 * The envelope schema of one contract, with its data checked. Built once per contract: zod
 * compiles a schema on first use, and events are made on every hot path.
 */
export function envelopeOf<C extends EventContract>(contract: C): ReturnType<typeof buildEnvelope<C>> {
  let schema = envelopes.get(contract);
  if (!schema) envelopes.set(contract, (schema = buildEnvelope(contract)));
  return schema as ReturnType<typeof buildEnvelope<C>>;
}
