// The outbox relay under two loads: a backlog to drain, and a steady stream of writes.
import { fileURLToPath } from "node:url";
import type { Kafka } from "kafkajs";
import { OutboxRelay } from "@kruzhok/messaging";
import type { Logger } from "@kruzhok/observability";
import type { Pool } from "@kruzhok/postgres";
import { runAppOutboxPgbench, type PgbenchOptions, type PgbenchResult } from "../ceilings/measure";
import { cpuSince, cpuSnapshot, withCpu, type CpuUse } from "../lib/cpu";
import { averageBytes, benchEvents } from "../lib/events";
import { nextMessage, spawnScript, stopChild } from "../lib/proc";
import { percentile, progress } from "../lib/report";
import { RelayProfile, type ProfileSummary } from "./profile";
import type { WriterConfig, WriterReport } from "./writer";

export interface Deps {
  pool: Pool;
  databaseUrl: string;
  kafka: Kafka;
  logger: Logger;
}

export interface RelaySettings {
  batchSize?: number;
  idleMs?: number;
}

interface Relay {
  start(): Promise<void>;
  stop(): Promise<void>;
  drain(timeoutMs?: number): Promise<void>;
}

function newRelay(deps: Deps, settings: RelaySettings, profile?: RelayProfile): Relay {
  const options = {
    pool: profile ? profile.pool(deps.pool) : deps.pool,
    kafka: profile ? profile.kafka(deps.kafka) : deps.kafka,
    logger: deps.logger,
    ...settings,
  };
  return new OutboxRelay(options);
}

async function cpuPhase() {
  const before = await cpuSnapshot();
  return async (): Promise<CpuUse> => cpuSince(before, await cpuSnapshot());
}

/** Sum of the high watermarks: how many messages the topic holds (idempotent producer, no transactions). */
export async function messagesIn(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
  } finally {
    await admin.disconnect();
  }
}

export interface Distribution {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function distribution(values: number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

// ---------------------------------------------------------------- (a) backlog drain

export interface BacklogResult {
  events: number;
  payloadBytes: number;
  insertSeconds: number;
  drainSeconds: number;
  eventsPerSecond: number;
  published: number;
  profile: ProfileSummary;
  cpu: CpuUse;
  /** The relay's SELECT with the drained rows' dead entries still in the partial index, and after VACUUM. */
  deadIndex: { beforeVacuum: SelectProbe; afterVacuum: SelectProbe };
}

export interface SelectProbe {
  ms: number;
  buffers: number;
}

/** EXPLAIN ANALYZE of the relay's SELECT (the statement of relay.ts, verbatim). */
async function probeSelect(pool: Pool, batchSize: number): Promise<SelectProbe> {
  const { rows } = await pool.query<{ "QUERY PLAN": [{ Plan: Record<string, number>; "Execution Time": number }] }>(
    `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)
     SELECT seq, topic, message_key, payload, created_at FROM outbox
      WHERE published_at IS NULL ORDER BY seq LIMIT ${batchSize}`,
  );
  const plan = rows[0]?.["QUERY PLAN"][0];
  return {
    ms: plan?.["Execution Time"] ?? Number.NaN,
    buffers: (plan?.Plan["Shared Hit Blocks"] ?? 0) + (plan?.Plan["Shared Read Blocks"] ?? 0),
  };
}

/**
 * Fill the outbox with `events` valid envelopes (newEvent) in large unnest() inserts, then time
 * OutboxRelay from start() until drain() returns.
 */
export async function backlogDrain(deps: Deps, topic: string, events: number, settings: RelaySettings): Promise<BacklogResult> {
  progress(`outbox backlog: inserting ${events.toLocaleString("en-US")} events`);
  const insertStarted = performance.now();
  const chunk = 5_000;
  let payloadBytes = 0;
  for (let from = 0; from < events; from += chunk) {
    const rows = benchEvents(topic, Math.min(chunk, events - from));
    const payloads = rows.map((event) => JSON.stringify(event));
    if (from === 0) payloadBytes = averageBytes(payloads);
    await deps.pool.query(
      `INSERT INTO outbox (event_id, topic, message_key, type, payload)
       SELECT id, $2, key, $4, payload FROM unnest($1::uuid[], $3::text[], $5::text[]) AS u(id, key, payload)`,
      [rows.map((event) => event.id), topic, rows.map((event) => event.aggregateId), rows[0]?.type, payloads],
    );
  }
  // A backlog builds up over minutes in production, with autovacuum analysing the table meanwhile.
  await deps.pool.query("ANALYZE outbox");
  const insertSeconds = (performance.now() - insertStarted) / 1_000;

  progress(`outbox backlog: draining with OutboxRelay (batchSize ${settings.batchSize ?? 1_000}, idleMs ${settings.idleMs ?? 25})`);
  const profile = new RelayProfile();
  const relay = newRelay(deps, settings, profile);
  const cpu = await cpuPhase();
  const started = performance.now();
  await relay.start();
  let drainSeconds: number;
  try {
    await relay.drain(120_000);
    drainSeconds = (performance.now() - started) / 1_000;
  } finally {
    await relay.stop();
  }
  const phaseCpu = await cpu();
  // Marked rows leave dead entries in the partial index outbox_unpublished until VACUUM (the
  // UPDATE cannot be HOT: published_at is in the index predicate), and every SELECT of the
  // relay walks them. Two probes: the second is the steady state once scans set the kill bits.
  await probeSelect(deps.pool, settings.batchSize ?? 1_000);
  const beforeVacuum = await probeSelect(deps.pool, settings.batchSize ?? 1_000);
  await deps.pool.query("VACUUM outbox");
  const afterVacuum = await probeSelect(deps.pool, settings.batchSize ?? 1_000);
  return {
    deadIndex: { beforeVacuum, afterVacuum },
    profile: profile.summary(),
    cpu: phaseCpu,
    events,
    payloadBytes,
    insertSeconds,
    drainSeconds,
    eventsPerSecond: events / drainSeconds,
    published: await messagesIn(deps.kafka, topic),
  };
}

// ---------------------------------------------------------------- (b) steady load

export interface SteadyResult {
  rate: number;
  durationS: number;
  writer: WriterReport;
  /** outbox.created_at → outbox.published_at (set by the relay right after the Kafka ack). */
  commitToPublishMs: Distribution;
  /** outbox.created_at → a consumer of the topic receiving the message. */
  commitToConsumeMs: Distribution;
  received: number;
  duplicates: number;
  profile: ProfileSummary;
  cpu: CpuUse;
}

const isWriterDone = (message: unknown): message is WriterReport =>
  typeof message === "object" && message !== null && (message as { kind?: unknown }).kind === "writer-done";

const writerScript = fileURLToPath(new URL("./writer.ts", import.meta.url));

/**
 * A writer process commits app row + outbox row at `rate` per second for `durationS` while the
 * relay runs here and a consumer here receives the events; lag is measured per event from the
 * outbox row's created_at (clock_timestamp() inside the writing transaction, so it includes the
 * remainder of that transaction, well under a millisecond) to the Kafka ack and to the consumer.
 */
export async function steadyLoad(
  deps: Deps,
  topic: string,
  id: string,
  { rate, durationS, connections = 8 }: { rate: number; durationS: number; connections?: number },
  settings: RelaySettings,
): Promise<SteadyResult> {
  const receivedAt = new Map<string, number>();
  let duplicates = 0;
  const consumer = deps.kafka.consumer({ groupId: `bench.${id}.steady`, allowAutoTopicCreation: false, maxWaitTimeInMs: 1_000 });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.connect();
  const profile = new RelayProfile();
  const relay = newRelay(deps, settings, profile);
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: ({ batch }) => {
        const now = Date.now();
        for (const message of batch.messages) {
          const eventId = (JSON.parse(message.value?.toString() ?? "{}") as { id?: string }).id ?? "";
          if (receivedAt.has(eventId)) duplicates++;
          else receivedAt.set(eventId, now);
        }
        return Promise.resolve();
      },
    });
    await Promise.race([
      joined,
      new Promise((_, reject) => setTimeout(() => reject(new Error("the consumer did not join its group within 30 s")), 30_000).unref()),
    ]);
    await relay.start();

    progress(`outbox steady: ${rate}/s for ${durationS} s (writer process, ${connections} connections)`);
    const config: WriterConfig = { databaseUrl: deps.databaseUrl, topic, rate, durationS, connections };
    const cpu = await cpuPhase();
    const writer = spawnScript(writerScript, [JSON.stringify(config)]);
    let report: WriterReport;
    try {
      report = await nextMessage(writer, isWriterDone, (durationS + 60) * 1_000);
    } finally {
      await stopChild(writer);
    }
    const phaseCpu = await cpu();
    const deadline = Date.now() + 15_000;
    while (receivedAt.size < report.committed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));

    const { rows } = await deps.pool.query<{ event_id: string; created_at: Date; published_at: Date | null }>(
      "SELECT event_id, created_at, published_at FROM outbox WHERE topic = $1",
      [topic],
    );
    const publish: number[] = [];
    const consume: number[] = [];
    for (const row of rows) {
      const created = row.created_at.getTime();
      if (row.published_at) publish.push(row.published_at.getTime() - created);
      const received = receivedAt.get(row.event_id);
      if (received !== undefined) consume.push(received - created);
    }
    return {
      rate,
      durationS,
      writer: report,
      commitToPublishMs: distribution(publish),
      commitToConsumeMs: distribution(consume),
      received: receivedAt.size,
      duplicates,
      profile: profile.summary(),
      cpu: phaseCpu,
    };
  } finally {
    await relay.stop();
    await consumer.disconnect();
  }
}

// ---------------------------------------------------------------- relay's effect on write TPS

export interface EffectResult {
  without: PgbenchResult;
  with: PgbenchResult;
  cpuWithout: CpuUse;
  cpuWith: CpuUse;
  /** Events the relay published while pgbench ran, and what was left for it afterwards. */
  publishedDuring: number;
  backlogAtEnd: number;
  catchUpSeconds: number;
}

/** pgbench's app+outbox script on the same database, without and then with the relay running. */
export async function relayEffect(
  deps: Deps,
  topic: string,
  options: PgbenchOptions,
  settings: RelaySettings,
): Promise<EffectResult> {
  progress(`relay effect: pgbench ${options.durationS ?? 15} s without the relay`);
  const [without, cpuWithout] = await withCpu(() => runAppOutboxPgbench(deps.databaseUrl, `${topic}.unpublished`, options));
  // Those rows name a topic that does not exist; they must not reach the relay.
  await deps.pool.query("DELETE FROM outbox WHERE topic = $1", [`${topic}.unpublished`]);
  await deps.pool.query("VACUUM ANALYZE outbox");

  progress(`relay effect: pgbench ${options.durationS ?? 15} s with the relay publishing`);
  const relay = newRelay(deps, settings);
  await relay.start();
  let withRelay: PgbenchResult;
  let cpuWith: CpuUse;
  let backlogAtEnd: number;
  let publishedDuring: number;
  let catchUpSeconds: number;
  try {
    [withRelay, cpuWith] = await withCpu(() => runAppOutboxPgbench(deps.databaseUrl, topic, options));
    const ended = performance.now();
    const backlog = await deps.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL AND topic = $1",
      [topic],
    );
    backlogAtEnd = backlog.rows[0]?.n ?? 0;
    publishedDuring = await messagesIn(deps.kafka, topic);
    progress(`relay effect: relay catching up on ${backlogAtEnd.toLocaleString("en-US")} events`);
    await relay.drain(120_000);
    catchUpSeconds = (performance.now() - ended) / 1_000;
  } finally {
    await relay.stop();
  }
  return { without, with: withRelay, cpuWithout, cpuWith, publishedDuring, backlogAtEnd, catchUpSeconds };
}
