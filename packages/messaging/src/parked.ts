import type { IHeaders } from "kafkajs";
import type { Queryable } from "@kruzhok/postgres";

// Storage of parked events (migrations/0000_kit_parked_events.sql): what the consumer runner
// writes and reads, and what an operator lists and asks to redrive (operator.ts).
//
// The ordering rule: a chain is the open rows of one consumer, topic and message key (the
// aggregate id), in `id` order, which is the order they were parked in, which is their order on
// the partition. While a chain has an open row, every later event of its key is parked behind it
// (`admitEvent` says `held`), so nothing of that aggregate is handled out of order. A message
// without a key has no order to keep (Kafka spreads such messages over partitions): its row is
// a chain of its own. Other keys flow.

/** Open rows hold their key; the others record how the event ended after a redrive. */
export type ParkedState = "parked" | "redrive_requested" | "applied" | "dead_lettered" | "skipped";
export const OPEN_STATES = ["parked", "redrive_requested"] as const;

/** A parked event as an operator sees it: everything but the message's bytes (personal data). */
export interface ParkedEvent {
  id: number;
  consumer: string;
  topic: string;
  partition: number;
  offset: string;
  /** The message key (the aggregate id) as text; null for a message without one. */
  key: string | null;
  eventId: string;
  type: string;
  correlationId: string;
  /** `failed`: its own handling failed; `behind`: an earlier event of its key was parked. */
  reason: "failed" | "behind";
  state: ParkedState;
  /** Handlings that failed, over the live attempts and every redrive. */
  attempts: number;
  error: { name: string; message: string } | null;
  parkedAt: Date;
  lastFailedAt: Date | null;
  redriveRequestedAt: Date | null;
  resolvedAt: Date | null;
}

/** A parked event with the message as Kafka delivered it, for the runner to handle again. */
export interface ParkedMessage extends ParkedEvent {
  message: { key: Buffer | null; value: Buffer; headers: IHeaders; offset: string };
}

interface Row {
  id: number;
  consumer: string;
  event_id: string;
  event_type: string;
  correlation_id: string;
  topic: string;
  kafka_partition: number;
  kafka_offset: string;
  message_key: Buffer | null;
  reason: "failed" | "behind";
  state: ParkedState;
  attempts: number;
  error_name: string | null;
  error_message: string | null;
  parked_at: Date;
  last_failed_at: Date | null;
  redrive_requested_at: Date | null;
  resolved_at: Date | null;
}

interface RowWithMessage extends Row {
  message_value: Buffer;
  headers: Record<string, string | string[]>;
}

const COLUMNS = `id, consumer, event_id, event_type, correlation_id, topic, kafka_partition, kafka_offset::text AS kafka_offset,
  message_key, reason, state, attempts, error_name, error_message, parked_at, last_failed_at, redrive_requested_at, resolved_at`;

function toEvent(row: Row): ParkedEvent {
  return {
    id: Number(row.id),
    consumer: row.consumer,
    topic: row.topic,
    partition: row.kafka_partition,
    offset: row.kafka_offset,
    key: row.message_key === null ? null : row.message_key.toString("utf8"),
    eventId: row.event_id,
    type: row.event_type,
    correlationId: row.correlation_id,
    reason: row.reason,
    state: row.state,
    attempts: row.attempts,
    error: row.error_name === null ? null : { name: row.error_name, message: row.error_message ?? "" },
    parkedAt: row.parked_at,
    lastFailedAt: row.last_failed_at,
    redriveRequestedAt: row.redrive_requested_at,
    resolvedAt: row.resolved_at,
  };
}

function toMessage(row: RowWithMessage): ParkedMessage {
  return {
    ...toEvent(row),
    message: { key: row.message_key, value: row.message_value, headers: decodeHeaders(row.headers), offset: row.kafka_offset },
  };
}

// Header values are bytes; base64 keeps them whole in jsonb (which cannot hold a NUL).
export function encodeHeaders(headers: IHeaders | undefined): Record<string, string | string[]> {
  const encoded: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const base64 = (one: Buffer | string) => Buffer.from(one).toString("base64");
    encoded[name] = Array.isArray(value) ? value.map(base64) : base64(value);
  }
  return encoded;
}

export function decodeHeaders(encoded: Record<string, string | string[]>): IHeaders {
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(encoded)) {
    headers[name] = Array.isArray(value) ? value.map((one) => Buffer.from(one, "base64")) : Buffer.from(value, "base64");
  }
  return headers;
}

export interface Delivery {
  consumer: string;
  eventId: string;
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
}

/**
 * The first statement of a live event's transaction: `held` when its key (or the event itself,
 * redelivered) is parked for this consumer, else its inbox row is written: `first`, or
 * `duplicate` when the consumer has seen it. One statement, as the plain inbox insert was.
 */
export async function admitEvent(tx: Queryable, delivery: Delivery): Promise<"first" | "duplicate" | "held"> {
  const { rows } = await tx.query<{ held: boolean; recorded: boolean }>(
    `WITH held AS (
       SELECT EXISTS (
                SELECT 1 FROM parked_events
                WHERE consumer = $1 AND topic = $3 AND message_key = $6 AND state IN ('parked', 'redrive_requested')
              )
           OR EXISTS (
                SELECT 1 FROM parked_events
                WHERE consumer = $1 AND event_id = $2 AND state IN ('parked', 'redrive_requested')
              ) AS yes
     ), recorded AS (
       INSERT INTO inbox (consumer, event_id, topic, kafka_partition, kafka_offset, outcome)
       SELECT $1::text, $2::uuid, $3::text, $4::int, $5::bigint, 'applied' FROM held WHERE NOT held.yes
       ON CONFLICT DO NOTHING
       RETURNING 1
     )
     SELECT (SELECT yes FROM held) AS held, EXISTS (SELECT 1 FROM recorded) AS recorded`,
    [delivery.consumer, delivery.eventId, delivery.topic, delivery.partition, delivery.offset, delivery.key],
  );
  const row = rows[0];
  if (row?.held) return "held";
  return row?.recorded ? "first" : "duplicate";
}

/**
 * `admitEvent` for the events of one batch of one topic, in one statement: for each delivery (in
 * the order given, event ids distinct), `held` when its key or the event itself is parked for this
 * consumer, else its inbox row is written: `first`, or `duplicate` when the consumer has seen it.
 */
export async function admitEvents(tx: Queryable, deliveries: readonly Delivery[]): Promise<("first" | "duplicate" | "held")[]> {
  const [one] = deliveries;
  if (!one) return [];
  if (deliveries.some((d) => d.consumer !== one.consumer || d.topic !== one.topic)) throw new Error("admitEvents takes the deliveries of one consumer and topic");
  const { rows } = await tx.query<{ n: string; held: boolean; recorded: boolean }>(
    `WITH d AS (
       SELECT * FROM unnest($3::uuid[], $4::int[], $5::bigint[], $6::bytea[]) WITH ORDINALITY AS d(event_id, kafka_partition, kafka_offset, message_key, n)
     ), held AS (
       SELECT d.n FROM d
       WHERE EXISTS (
               SELECT 1 FROM parked_events p
               WHERE p.consumer = $1 AND p.topic = $2 AND p.message_key = d.message_key AND p.state IN ('parked', 'redrive_requested')
             )
          OR EXISTS (
               SELECT 1 FROM parked_events p
               WHERE p.consumer = $1 AND p.event_id = d.event_id AND p.state IN ('parked', 'redrive_requested')
             )
     ), recorded AS (
       INSERT INTO inbox (consumer, event_id, topic, kafka_partition, kafka_offset, outcome)
       SELECT $1::text, d.event_id, $2::text, d.kafka_partition, d.kafka_offset, 'applied'
       FROM d WHERE d.n NOT IN (SELECT n FROM held)
       ORDER BY d.n
       ON CONFLICT DO NOTHING
       RETURNING event_id
     )
     SELECT d.n::text AS n, d.n IN (SELECT n FROM held) AS held, d.event_id IN (SELECT event_id FROM recorded) AS recorded
     FROM d ORDER BY d.n`,
    [
      one.consumer,
      one.topic,
      deliveries.map((d) => d.eventId),
      deliveries.map((d) => d.partition),
      deliveries.map((d) => d.offset),
      deliveries.map((d) => d.key),
    ],
  );
  return rows.map((row) => (row.held ? "held" : row.recorded ? "first" : "duplicate"));
}

export interface NewParked extends Delivery {
  type: string;
  correlationId: string;
  value: Buffer;
  headers: IHeaders | undefined;
  reason: "failed" | "behind";
  attempts: number;
  error?: { name: string; message: string };
}

/**
 * Park an event. One parked `behind` its key is not parked when the consumer already applied it
 * (a redelivery); it joins its chain as `redrive_requested` when nothing ahead of it is waiting
 * for an operator (the chain is being redriven, or was emptied a moment ago), so that the
 * redrive takes it too. False when it was not parked (already parked, or already applied).
 */
export async function parkEvent(db: Queryable, parked: NewParked): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO parked_events (consumer, event_id, event_type, correlation_id, topic, kafka_partition, kafka_offset,
       message_key, message_value, headers, reason, state, attempts, error_name, error_message, last_failed_at)
     SELECT $1::text, $2::uuid, $3::text, $4::uuid, $5::text, $6::int, $7::bigint, $8::bytea, $9::bytea, $10::jsonb, $11::text,
       CASE WHEN $11::text = 'failed' OR EXISTS (
              SELECT 1 FROM parked_events
              WHERE consumer = $1 AND topic = $5 AND message_key = $8 AND state = 'parked'
            ) THEN 'parked' ELSE 'redrive_requested' END,
       $12::int, $13::text, $14::text, CASE WHEN $13::text IS NULL THEN NULL ELSE clock_timestamp() END
     WHERE NOT EXISTS (SELECT 1 FROM inbox WHERE consumer = $1 AND event_id = $2)
     ON CONFLICT (consumer, event_id) WHERE state IN ('parked', 'redrive_requested') DO NOTHING`,
    [
      parked.consumer,
      parked.eventId,
      parked.type,
      parked.correlationId,
      parked.topic,
      parked.partition,
      parked.offset,
      parked.key,
      parked.value,
      JSON.stringify(encodeHeaders(parked.headers)),
      parked.reason,
      parked.attempts,
      parked.error?.name ?? null,
      parked.error?.message ?? null,
    ],
  );
  return result.rowCount === 1;
}

/** Whether an operator asked for a redrive of any of `consumer`'s parked events. */
export async function hasRedriveRequests(db: Queryable, consumer: string): Promise<boolean> {
  const { rows } = await db.query<{ yes: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM parked_events WHERE consumer = $1 AND state = 'redrive_requested') AS yes`,
    [consumer],
  );
  return rows[0]?.yes ?? false;
}

/** The first open row of each chain of `consumer` whose redrive an operator asked for, oldest first. */
export async function redriveHeads(db: Queryable, consumer: string): Promise<ParkedMessage[]> {
  const { rows } = await db.query<RowWithMessage>(
    `SELECT * FROM (
       SELECT DISTINCT ON (topic, message_key, CASE WHEN message_key IS NULL THEN id END)
              ${COLUMNS}, message_value, headers
       FROM parked_events
       WHERE consumer = $1 AND state IN ('parked', 'redrive_requested')
       ORDER BY topic, message_key, CASE WHEN message_key IS NULL THEN id END, id
     ) heads
     WHERE state = 'redrive_requested'
     ORDER BY id`,
    [consumer],
  );
  return rows.map(toMessage);
}

/** The first open row of `row`'s chain, if an operator asked for its redrive (a keyless row is a chain of its own). */
export async function nextInChain(db: Queryable, row: ParkedEvent): Promise<ParkedMessage | undefined> {
  if (row.key === null) return undefined;
  const { rows } = await db.query<RowWithMessage>(
    `SELECT ${COLUMNS}, message_value, headers FROM parked_events
     WHERE consumer = $1 AND topic = $2 AND message_key = $3 AND state IN ('parked', 'redrive_requested')
     ORDER BY id LIMIT 1`,
    [row.consumer, row.topic, Buffer.from(row.key, "utf8")],
  );
  const next = rows[0];
  return next?.state === "redrive_requested" ? toMessage(next) : undefined;
}

/**
 * Lock a row for its redrive inside the handling transaction; false when it is no longer waiting
 * for one (another replica's runner handled it meanwhile).
 */
export async function claimParked(tx: Queryable, id: number): Promise<boolean> {
  const { rowCount } = await tx.query(`SELECT 1 FROM parked_events WHERE id = $1 AND state = 'redrive_requested' FOR UPDATE`, [id]);
  return rowCount === 1;
}

/** How a redriven row ended; `failures` are the attempts of this redrive that failed before it did. */
export async function resolveParked(
  db: Queryable,
  id: number,
  state: "applied" | "dead_lettered" | "skipped",
  failures: number,
  error?: { name: string; message: string },
): Promise<void> {
  await db.query(
    `UPDATE parked_events
     SET state = $2, attempts = attempts + $3, resolved_at = clock_timestamp(),
         error_name = COALESCE($4, error_name), error_message = COALESCE($5, error_message)
     WHERE id = $1 AND state = 'redrive_requested'`,
    [id, state, failures, error?.name ?? null, error?.message ?? null],
  );
}

/**
 * A redrive failed again: the row is parked with its new attempts and error, and the rest of its
 * chain goes back to waiting for an operator behind it.
 */
export async function reparkChain(db: Queryable, row: ParkedEvent, failures: number, error: { name: string; message: string }): Promise<void> {
  await db.query(
    `WITH repark AS (
       UPDATE parked_events
       SET state = 'parked', attempts = attempts + $2, error_name = $3, error_message = $4, last_failed_at = clock_timestamp()
       WHERE id = $1 AND state = 'redrive_requested'
     )
     UPDATE parked_events SET state = 'parked'
     WHERE consumer = $5 AND topic = $6 AND message_key = $7 AND state = 'redrive_requested' AND id <> $1`,
    [row.id, failures, error.name, error.message, row.consumer, row.topic, row.key === null ? null : Buffer.from(row.key, "utf8")],
  );
}

export interface ParkedCount {
  topic: string;
  open: number;
  oldestParkedAt: Date;
}

/** Open rows of `consumer` per topic, for the gauges. */
export async function parkedCounts(db: Queryable, consumer: string): Promise<ParkedCount[]> {
  const { rows } = await db.query<{ topic: string; open: number; oldest: Date }>(
    `SELECT topic, count(*)::int AS open, min(parked_at) AS oldest
     FROM parked_events WHERE consumer = $1 AND state IN ('parked', 'redrive_requested')
     GROUP BY topic`,
    [consumer],
  );
  return rows.map((row) => ({ topic: row.topic, open: row.open, oldestParkedAt: row.oldest }));
}

export interface ParkedFilter {
  topic?: string;
  /** The message key (aggregate id). */
  key?: string;
  /** Parked rows by id; a redrive takes each one's whole chain. */
  ids?: readonly number[];
}

/** The parked events of `consumer`, oldest first: the open ones, or every one with `includeResolved`. */
export async function listParked(db: Queryable, consumer: string, filter: ParkedFilter & { includeResolved?: boolean } = {}): Promise<ParkedEvent[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM parked_events
     WHERE consumer = $1 AND ($2::boolean OR state IN ('parked', 'redrive_requested'))
       AND ($3::text IS NULL OR topic = $3) AND ($4::bytea IS NULL OR message_key = $4) AND ($5::bigint[] IS NULL OR id = ANY($5))
     ORDER BY id`,
    [consumer, filter.includeResolved ?? false, filter.topic ?? null, filter.key === undefined ? null : Buffer.from(filter.key, "utf8"), filter.ids ?? null],
  );
  return rows.map(toEvent);
}

/**
 * Ask the running service to handle the matching parked events again: every parked row of each
 * matching chain (a chain is redriven whole, in order, or its later events would overtake the
 * earlier) becomes `redrive_requested`; the consumer runner takes them on its next sweep. Rows
 * already requested or resolved are left as they are, so asking twice does nothing more.
 */
export async function requestRedrive(db: Queryable, consumer: string, filter: ParkedFilter = {}): Promise<{ events: number; chains: number }> {
  const { rows } = await db.query<{ chain: string }>(
    `WITH chosen AS (
       SELECT DISTINCT topic, message_key, CASE WHEN message_key IS NULL THEN id END AS lone
       FROM parked_events
       WHERE consumer = $1 AND state IN ('parked', 'redrive_requested')
         AND ($2::text IS NULL OR topic = $2) AND ($3::bytea IS NULL OR message_key = $3) AND ($4::bigint[] IS NULL OR id = ANY($4))
     )
     UPDATE parked_events p
     SET state = 'redrive_requested', redrive_requested_at = clock_timestamp()
     FROM chosen c
     WHERE p.consumer = $1 AND p.state = 'parked' AND p.topic = c.topic
       AND (p.message_key = c.message_key OR p.id = c.lone)
     RETURNING p.topic || ':' || COALESCE(encode(p.message_key, 'hex'), p.id::text) AS chain`,
    [consumer, filter.topic ?? null, filter.key === undefined ? null : Buffer.from(filter.key, "utf8"), filter.ids ?? null],
  );
  return { events: rows.length, chains: new Set(rows.map((row) => row.chain)).size };
}
