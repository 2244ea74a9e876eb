import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMetricsRegistry, type Registry } from "@kruzhok/observability";
import type { Pool, PoolClient } from "@kruzhok/postgres";
import { isolate, waitFor, type Isolation } from "@kruzhok/testkit";
import {
  ConsumerRunner,
  createKafka,
  createProducer,
  fastConsumerSettings,
  handlerFor,
  listDeadLetters,
  listParked,
  newEvent,
  type BatchHandler,
  type Kafka,
} from "../src";
import { counted, municipalityId, prepareDatabase, quietLogger } from "./fixtures/flow";

// Batch mode of the consumer runner: the events of one fetch of a partition in one transaction,
// their inbox rows written together, a failed batch handled again one event at a time.

const retry = { initialMs: 20, maxMs: 200, attempts: 3 };

describe("consumer runner in batch mode", () => {
  let iso: Isolation;
  let pool: Pool;
  let kafka: Kafka;
  const runners: ConsumerRunner[] = [];

  beforeAll(async () => {
    iso = await isolate("batch");
    pool = await prepareDatabase(iso.databaseUrl);
    await pool.query(`CREATE TABLE handled (seq bigserial PRIMARY KEY, key text NOT NULL, by int NOT NULL, event_id uuid NOT NULL, path text NOT NULL);
                      CREATE TABLE batches (seq bigserial PRIMARY KEY, events int NOT NULL)`);
    kafka = createKafka({ brokers: iso.kafkaBrokers, clientId: iso.id });
  });
  afterAll(async () => {
    await Promise.all(runners.map((runner) => runner.stop()));
    await pool.end();
    await iso.cleanup();
  });

  /** Handlings of a key whose transaction had its connection terminated (the database failing under it). */
  const terminated = new Map<string, number>();
  /** Kill the transaction's own connection (SQLSTATE 57P01, as a restart or failover does) while `key` has terminations left. */
  async function failDatabase(tx: PoolClient, keys: readonly string[], victims: ReadonlyMap<string, number>): Promise<void> {
    for (const key of keys) {
      const left = victims.get(key) ?? 0;
      if ((terminated.get(key) ?? 0) >= left) continue;
      terminated.set(key, (terminated.get(key) ?? 0) + 1);
      await tx.query("SELECT pg_terminate_backend(pg_backend_pid())");
    }
  }

  /** Per-event and batch handlers that record what they apply; both refuse the keys in `poison`, and fail the database under `victims`. */
  function handlersOf(topic: string, poison: ReadonlySet<string> = new Set(), victims: ReadonlyMap<string, number> = new Map()) {
    const single = handlerFor(counted(topic), async (event, { tx }) => {
      await failDatabase(tx, [event.aggregateId], victims);
      if (poison.has(event.aggregateId)) throw new Error("webhook answered 503");
      await tx.query("INSERT INTO handled (key, by, event_id, path) VALUES ($1, $2, $3, 'single')", [event.aggregateId, event.data.by, event.id]);
    });
    const batch: BatchHandler = {
      maxEvents: 100,
      async handle(events, { tx }) {
        await failDatabase(tx, events.map((e) => e.event.aggregateId), victims);
        await tx.query("INSERT INTO batches (events) VALUES ($1)", [events.length]);
        // One statement for the batch, in the order given.
        await tx.query(
          `INSERT INTO handled (key, by, event_id, path) SELECT k, b, e, 'batch' FROM unnest($1::text[], $2::int[], $3::uuid[]) WITH ORDINALITY AS u(k, b, e, n) ORDER BY n`,
          [events.map((e) => e.event.aggregateId), events.map((e) => (e.event.data as { by: number }).by), events.map((e) => e.event.id)],
        );
        // The set-based write fails on a poison event, as a constraint would.
        if (events.some((e) => poison.has(e.event.aggregateId))) throw new Error("a row of the batch broke a constraint");
      },
    };
    return { handlers: [single], batch };
  }

  async function start(groupId: string, topic: string, poison?: ReadonlySet<string>, victims?: ReadonlyMap<string, number>, metrics?: Registry): Promise<ConsumerRunner> {
    const runner = new ConsumerRunner({
      kafka, pool, logger: quietLogger, groupId, topics: [topic], ...handlersOf(topic, poison, victims), retry, parkedSweepMs: 100,
      ...(metrics && { metrics }),
      ...fastConsumerSettings,
    });
    runners.push(runner);
    await runner.start();
    return runner;
  }

  async function send(topic: string, messages: { key: string; value: string }[]): Promise<void> {
    const producer = createProducer(kafka);
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: messages.map((m) => ({ ...m, partition: 0 })) });
    await producer.disconnect();
  }
  const message = (topic: string, key: string, by: number) => {
    const event = newEvent(counted(topic), { municipalityId, aggregateId: key }, { by }, new Date());
    return { id: event.id, key, value: JSON.stringify(event) };
  };
  const applied = async (key: string) => (await pool.query<{ by: number }>("SELECT by FROM handled WHERE key = $1 ORDER BY seq", [key])).rows.map((r) => r.by);
  const appliedAre = (key: string, expected: number[], what: string) =>
    waitFor(async () => (JSON.stringify(await applied(key)) === JSON.stringify(expected) ? true : undefined), { what });
  const count = async (sql: string, params: unknown[] = []) => Number((await pool.query<{ n: number }>(sql, params)).rows[0]?.n);

  it("applies a fetch in a few transactions, each key in order, and a redelivered batch not again (inbox)", async () => {
    const topic = iso.topic("batched");
    await iso.createTopics([{ topic, partitions: 1 }]);
    const keys = Array.from({ length: 5 }, (_, i) => `k${i}-${randomUUID()}`);
    const messages = Array.from({ length: 250 }, (_, i) => message(topic, keys[i % keys.length]!, Math.floor(i / keys.length) + 1));
    const duplicated = messages[7]!;
    await send(topic, [...messages, duplicated]); // one event twice in the fetch
    const group = `${iso.topicPrefix}batched`;
    const first = await start(group, topic);
    for (const key of keys) await appliedAre(key, Array.from({ length: 50 }, (_, i) => i + 1), `${key} applied in order`);
    const transactions = await count("SELECT count(*)::int AS n FROM batches");
    expect(transactions).toBeLessThanOrEqual(10); // 251 messages, 100 at most per transaction
    expect(await count("SELECT max(events)::int AS n FROM batches")).toBeGreaterThan(1);
    expect(await count("SELECT count(*)::int AS n FROM handled WHERE path = 'single'")).toBe(0);
    expect(await count("SELECT count(*)::int AS n FROM inbox WHERE consumer = $1", [group])).toBe(250);
    await first.stop();

    // The group moved back to offset 0: every batch is delivered again, and nothing applied twice.
    const admin = kafka.admin();
    await admin.connect();
    await admin.resetOffsets({ groupId: group, topic, earliest: true });
    await admin.disconnect();
    const marker = message(topic, keys[0]!, 51);
    await send(topic, [marker]);
    await start(group, topic);
    await appliedAre(keys[0]!, Array.from({ length: 51 }, (_, i) => i + 1), "the replay reaching the marker after the redelivered events");
    expect(await count("SELECT count(*)::int AS n FROM handled")).toBe(251);
    expect(await count("SELECT count(*)::int AS n FROM handled WHERE event_id = $1", [duplicated.id])).toBe(1);
    // The redelivered events were dropped by the inbox before the handler: only the marker came after.
    expect(await count("SELECT sum(events)::int AS n FROM batches")).toBe(251);
  });

  it("parks a poison event of a batch, and its key's later events behind it in order, while the batch's other events are applied in order", async () => {
    const topic = iso.topic("poison");
    await iso.createTopics([{ topic, partitions: 1 }]);
    const [bad, a, b] = ["bad", "a", "b"].map((name) => `${name}-${randomUUID()}`) as [string, string, string];
    const first = [message(topic, a, 1), message(topic, bad, 1), message(topic, b, 1), message(topic, a, 2), message(topic, bad, 2), message(topic, b, 2), message(topic, bad, 3)];
    await send(topic, first);
    const group = `${iso.topicPrefix}poison`;
    await start(group, topic, new Set([bad]));
    await appliedAre(a, [1, 2], "a's events");
    await appliedAre(b, [1, 2], "b's events");
    const parked = await waitFor(async () => {
      const rows = await listParked(pool, group, { key: bad });
      return rows.length === 3 ? rows : undefined;
    }, { what: "bad's three events parked" });
    expect(parked.map((row) => [row.eventId, row.reason, row.state, row.attempts])).toEqual([
      [first[1]!.id, "failed", "parked", retry.attempts],
      [first[4]!.id, "behind", "parked", 0],
      [first[6]!.id, "behind", "parked", 0],
    ]);
    expect(parked[0]!.error).toEqual({ name: "Error", message: "webhook answered 503" });
    expect(await applied(bad)).toEqual([]);

    // The next fetch goes through the batch again: its event of the parked key is parked behind
    // the others in that transaction, the rest applied.
    const second = [message(topic, a, 3), message(topic, bad, 4), message(topic, b, 3)];
    await send(topic, second);
    await appliedAre(a, [1, 2, 3], "a's third event");
    await appliedAre(b, [1, 2, 3], "b's third event");
    const after = await listParked(pool, group, { key: bad });
    expect(after.map((row) => [row.eventId, row.reason])).toEqual([...parked.map((row) => [row.eventId, row.reason]), [second[1]!.id, "behind"]]);
    const paths = await pool.query<{ key: string; path: string }>("SELECT key, path FROM handled WHERE key IN ($1, $2) ORDER BY seq", [a, b]);
    expect(paths.rows.filter((row) => row.path === "batch").length).toBeGreaterThan(0); // the third events
  });

  it("holds the partition, parking nothing, while the database fails under a batch and under its events one by one, then applies each once", async () => {
    const topic = iso.topic("database");
    await iso.createTopics([{ topic, partitions: 1 }]);
    const [victim, other] = ["victim", "other"].map((name) => `${name}-${randomUUID()}`) as [string, string];
    const group = `${iso.topicPrefix}database`;
    const registry = createMetricsRegistry("batch-test", false);
    // More terminations than an event's own failures may have (retry.attempts): they are the database's, not the event's.
    const terminations = retry.attempts + 2;
    await send(topic, [message(topic, other, 1), message(topic, victim, 1), message(topic, other, 2)]);
    await start(group, topic, new Set(), new Map([[victim, terminations]]), registry);
    await appliedAre(other, [1, 2], "the other key's events");
    expect(await applied(victim)).toEqual([1]);
    expect(terminated.get(victim)).toBe(terminations);
    expect(await listParked(pool, group, { includeResolved: true })).toEqual([]);
    const failures = await registry.getSingleMetric("consumer_handling_failures_total")?.get();
    const database = failures?.values.find((value) => value.labels.kind === "database" && value.labels.topic === topic)?.value ?? 0;
    expect(database).toBeGreaterThanOrEqual(terminations - 1); // the first termination failed the batch, the rest its events one by one
    expect(await count("SELECT count(*)::int AS n FROM inbox WHERE consumer = $1", [group])).toBe(3);
  });

  it("dead-letters a message that is not a valid event in its place, applying the batch's events before and after it", async () => {
    const topic = iso.topic("invalid");
    await iso.createTopics([{ topic, partitions: 1 }]);
    const key = `k-${randomUUID()}`;
    const broken = newEvent(counted(topic), { municipalityId, aggregateId: key }, { by: 2 }, new Date());
    await send(topic, [message(topic, key, 1), { key, value: JSON.stringify({ ...broken, data: { by: "two" } }) }, message(topic, key, 3)]);
    const group = `${iso.topicPrefix}invalid`;
    await start(group, topic);
    await appliedAre(key, [1, 3], "the valid events around the invalid one");
    const dead = await waitFor(async () => {
      const rows = await listDeadLetters(kafka, pool, { topic, consumer: group });
      return rows.length === 1 ? rows : undefined;
    }, { what: "the invalid message dead-lettered" });
    expect(dead[0]!.reason).toMatch(/by/);
    expect(await count("SELECT count(*)::int AS n FROM inbox WHERE event_id = $1 AND outcome = 'dead_lettered'", [broken.id])).toBe(1);
  });
});
