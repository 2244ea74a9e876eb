import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DomainError } from "@kruzhok/errors";
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
  parseOperatorCommand,
  redriveDeadLetters,
  requestRedrive,
  runOperatorCommand,
  type EventHandler,
  type Kafka,
} from "../src";
import { counted, municipalityId, prepareDatabase, quietLogger } from "./fixtures/flow";

// Retries short enough for a test: three tries 20 ms and 40 ms apart, then the event is parked.
const retry = { initialMs: 20, maxMs: 200, attempts: 3 };

describe("one failing event does not stop a consumer", () => {
  let iso: Isolation;
  let pool: Pool;
  let kafka: Kafka;
  const runners: ConsumerRunner[] = [];
  /** Handlings of each key (aggregate id), failed or not. */
  const calls = new Map<string, number>();

  beforeAll(async () => {
    iso = await isolate("parking");
    pool = await prepareDatabase(iso.databaseUrl);
    await pool.query("CREATE TABLE handled (seq bigserial PRIMARY KEY, key text NOT NULL, by int NOT NULL, event_id uuid NOT NULL)");
    kafka = createKafka({ brokers: iso.kafkaBrokers, clientId: iso.id });
  });
  afterAll(async () => {
    await Promise.all(runners.map((runner) => runner.stop()));
    await pool.end();
    await iso.cleanup();
  });

  /** A handler that records each event it applies, after `behaviour` (which may throw) had its say. */
  const recording = (topic: string, behaviour: (key: string, tx: PoolClient) => Promise<void> | void): EventHandler =>
    handlerFor(counted(topic), async (event, { tx }) => {
      calls.set(event.aggregateId, (calls.get(event.aggregateId) ?? 0) + 1);
      await behaviour(event.aggregateId, tx);
      await tx.query("INSERT INTO handled (key, by, event_id) VALUES ($1, $2, $3)", [event.aggregateId, event.data.by, event.id]);
    });

  async function run(groupId: string, topics: string[], handler: EventHandler, metrics?: Registry): Promise<ConsumerRunner> {
    const runner = new ConsumerRunner({
      kafka, pool, logger: quietLogger, groupId, topics, handlers: [handler], retry, parkedSweepMs: 100,
      ...(metrics && { metrics }),
      ...fastConsumerSettings,
    });
    runners.push(runner);
    await runner.start();
    return runner;
  }

  const event = (topic: string, key: string, by: number) => newEvent(counted(topic), { municipalityId, aggregateId: key }, { by }, new Date());

  async function send(topic: string, messages: { key: string; value: string; partition?: number }[]): Promise<void> {
    const producer = createProducer(kafka);
    await producer.connect();
    await producer.send({ topic, acks: -1, messages });
    await producer.disconnect();
  }
  const message = (topic: string, key: string, by: number, partition?: number) => {
    const made = event(topic, key, by);
    return { id: made.id, key, value: JSON.stringify(made), ...(partition !== undefined && { partition }) };
  };

  /** The `by` of each applied event of `key`, in the order applied. */
  const applied = async (key: string) =>
    (await pool.query<{ by: number }>("SELECT by FROM handled WHERE key = $1 ORDER BY seq", [key])).rows.map((row) => row.by);
  const appliedAre = (key: string, expected: number[], what: string) =>
    waitFor(async () => (JSON.stringify(await applied(key)) === JSON.stringify(expected) ? true : undefined), { what });

  async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
    const found = await registry.getSingleMetric(name)?.get();
    return found?.values.find((value) => Object.entries(labels).every(([label, wanted]) => value.labels[label] === wanted))?.value;
  }

  it("parks an event that keeps failing, and its key's later events behind it in order, while other keys, partitions and topics flow", async () => {
    const [a, b] = [iso.topic("flow-a"), iso.topic("flow-b")];
    await iso.createTopics([{ topic: a, partitions: 2 }, { topic: b, partitions: 1 }]);
    const [bad, neighbour, otherPartition, otherTopic] = ["bad", "neighbour", "p1", "tb"].map((name) => `${name}-${randomUUID()}`) as [string, string, string, string];
    const group = `${iso.topicPrefix}flow`;
    const registry = createMetricsRegistry("parking-test", false);
    await run(group, [a, b], recording(a, (key) => {
      if (key === bad) throw new Error("webhook answered 503");
    }), registry);

    // On partition 0 the failing key's events alternate with a neighbour's.
    const partition0 = [message(a, bad, 1, 0), message(a, neighbour, 1, 0), message(a, bad, 2, 0), message(a, neighbour, 2, 0), message(a, bad, 3, 0)];
    await send(a, partition0);
    await send(a, [message(a, otherPartition, 1, 1)]);
    await send(b, [message(b, otherTopic, 1)]);

    await appliedAre(neighbour, [1, 2], "the neighbour's events on the failing key's partition");
    await appliedAre(otherPartition, [1], "the other partition");
    await appliedAre(otherTopic, [1], "the other topic");
    const parked = await waitFor(async () => {
      const rows = await listParked(pool, group, { key: bad });
      return rows.length === 3 ? rows : undefined;
    }, { what: "the failing key's three events parked" });
    expect(await applied(bad)).toEqual([]);
    expect(calls.get(bad)).toBe(retry.attempts); // only the first was tried; the others wait behind it unhandled
    const badIds = [partition0[0]!.id, partition0[2]!.id, partition0[4]!.id];
    expect(parked.map((row) => [row.eventId, row.reason, row.state, row.attempts, row.topic, row.partition])).toEqual([
      [badIds[0], "failed", "parked", 3, a, 0],
      [badIds[1], "behind", "parked", 0, a, 0],
      [badIds[2], "behind", "parked", 0, a, 0],
    ]);
    expect(parked.map((row) => row.offset)).toEqual(["0", "2", "4"]);
    expect(parked[0]!.error).toEqual({ name: "Error", message: "webhook answered 503" });
    // The bytes are kept as they arrived, for the redrive.
    const stored = await pool.query<{ message_value: Buffer }>("SELECT message_value FROM parked_events WHERE event_id = $1", [badIds[0]]);
    expect(stored.rows[0]!.message_value.toString()).toBe(partition0[0]!.value);

    await waitFor(async () => ((await metric(registry, "consumer_parked_events", { group, topic: a })) === 3 ? true : undefined), {
      what: "the parked gauge at 3",
    });
    expect(await metric(registry, "consumer_parked_events", { group, topic: b })).toBe(0);
    expect(await metric(registry, "consumer_parked_oldest_seconds", { group, topic: a })).toBeGreaterThanOrEqual(0);
    expect(await metric(registry, "consumer_messages_total", { group, topic: a, outcome: "parked" })).toBe(1);
    expect(await metric(registry, "consumer_messages_total", { group, topic: a, outcome: "parked_behind" })).toBe(2);
    expect(await metric(registry, "consumer_handling_failures_total", { group, topic: a, kind: "transient" })).toBe(3);
  });

  it("redrives a parked key after the fix through the running consumer: once, in order, with what arrived meanwhile; a second redrive does nothing", async () => {
    const topic = iso.topic("redrive");
    await iso.createTopics([{ topic, partitions: 1 }]);
    const key = `k-${randomUUID()}`;
    const group = `${iso.topicPrefix}redrive`;
    const registry = createMetricsRegistry("parking-test", false);
    let fixed = false;
    const runner = await run(group, [topic], recording(topic, (handled) => {
      if (handled === key && !fixed) throw new Error("bug: undefined is not a function");
    }), registry);
    await send(topic, [message(topic, key, 1), message(topic, key, 2), message(topic, key, 3)]);
    await waitFor(async () => ((await listParked(pool, group)).length === 3 ? true : undefined), { what: "three parked" });

    // A redrive before the fix fails again: the head is parked with its attempts counted, the rest behind it.
    expect(await requestRedrive(pool, group, { key })).toEqual({ events: 3, chains: 1 });
    const again = await waitFor(async () => {
      const rows = await listParked(pool, group);
      return rows.every((row) => row.state === "parked") && rows[0]!.attempts === 2 * retry.attempts ? rows : undefined;
    }, { what: "the chain parked again" });
    expect(again.map((row) => [row.reason, row.attempts])).toEqual([["failed", 6], ["behind", 0], ["behind", 0]]);

    // The fix; an event of the key that arrives now still waits behind the parked ones.
    fixed = true;
    await send(topic, [message(topic, key, 4)]);
    await waitFor(async () => ((await listParked(pool, group)).length === 4 ? true : undefined), { what: "the fourth parked behind" });
    expect(await applied(key)).toEqual([]);

    // The operator's command (`kruzhok parked redrive`, packages/cli), as a process: it marks the
    // rows; the running consumer handles them.
    const kruzhok = fileURLToPath(new URL("../../cli/bin/kruzhok.mjs", import.meta.url));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [kruzhok, "parked", "redrive", "--database-url", iso.databaseUrl, "--consumer", group],
      { env: { PATH: process.env.PATH ?? "" } },
    );
    expect(JSON.parse(stdout.trim())).toMatchObject({ consumer: group, redriveRequested: 4, chains: 1 });

    await appliedAre(key, [1, 2, 3, 4], "the parked events applied in order");
    const resolved = await listParked(pool, group, { includeResolved: true });
    expect(resolved.map((row) => row.state)).toEqual(["applied", "applied", "applied", "applied"]);
    expect(await listParked(pool, group)).toEqual([]);
    await waitFor(async () => ((await metric(registry, "consumer_parked_events", { group, topic })) === 0 ? true : undefined), {
      what: "the parked gauge back at 0",
    });
    expect(await metric(registry, "consumer_redriven_total", { group, topic, outcome: "applied" })).toBe(4);
    expect(await metric(registry, "consumer_redriven_total", { group, topic, outcome: "parked_again" })).toBe(1);

    // The key flows again.
    await send(topic, [message(topic, key, 5)]);
    await appliedAre(key, [1, 2, 3, 4, 5], "a later event of the key applied at once");

    // A second redrive finds nothing to do, and a sweep applies nothing twice.
    const lines: string[] = [];
    await runOperatorCommand(parseOperatorCommand(["parked", "redrive", "--database-url", iso.databaseUrl, "--consumer", group], {}), (line) => lines.push(line));
    expect(JSON.parse(lines[0]!)).toMatchObject({ redriveRequested: 0 });
    expect(await runner.sweepParked()).toEqual({ applied: 0, deadLettered: 0, skipped: 0, parkedAgain: 0 });
    expect(await applied(key)).toEqual([1, 2, 3, 4, 5]);
  });

  it("applies once, without parking, an event whose failure heals within the retries", async () => {
    const topic = iso.topic("heals");
    await iso.createTopics([{ topic, partitions: 1 }]);
    const [flaky, next] = [`flaky-${randomUUID()}`, `next-${randomUUID()}`];
    const group = `${iso.topicPrefix}heals`;
    await run(group, [topic], recording(topic, (key) => {
      if (key === flaky && (calls.get(key) ?? 0) < retry.attempts) throw new Error("webhook answered 503");
    }));
    const sent = message(topic, flaky, 1);
    await send(topic, [sent, message(topic, next, 1)]);
    await appliedAre(next, [1], "the next event");
    expect(await applied(flaky)).toEqual([1]);
    expect(calls.get(flaky)).toBe(retry.attempts);
    expect(await listParked(pool, group, { includeResolved: true })).toEqual([]);
    expect((await pool.query("SELECT outcome FROM inbox WHERE event_id = $1", [sent.id])).rows).toEqual([{ outcome: "applied" }]);
  });

  it("holds the partition, without parking, while the database itself fails, however many tries it takes", async () => {
    const topic = iso.topic("database");
    await iso.createTopics([{ topic, partitions: 1 }]);
    const [victim, after, broken, behind] = ["victim", "after", "broken", "behind"].map((name) => `${name}-${randomUUID()}`) as [string, string, string, string];
    const group = `${iso.topicPrefix}database`;
    const registry = createMetricsRegistry("parking-test", false);
    const terminations = retry.attempts + 2;
    await run(group, [topic], recording(topic, async (key, tx) => {
      // A real failure of the database under the handler: its own connection is terminated
      // (SQLSTATE 57P01, what a restart or failover does), more often than an event may fail.
      if (key === victim && (calls.get(key) ?? 0) <= terminations) await tx.query("SELECT pg_terminate_backend(pg_backend_pid())");
      if (key === broken) throw new Error("bug");
    }), registry);

    await send(topic, [message(topic, victim, 1), message(topic, after, 1)]);
    await appliedAre(after, [1], "the event after the database's failures");
    expect(await applied(victim)).toEqual([1]);
    expect(calls.get(victim)).toBe(terminations + 1);
    expect(await listParked(pool, group, { includeResolved: true })).toEqual([]);
    expect(await metric(registry, "consumer_handling_failures_total", { group, topic, kind: "database" })).toBe(terminations);

    // When the parked table cannot be written, the event that should be parked holds its
    // partition instead (nothing is lost), and is parked once the table is back.
    await pool.query("ALTER TABLE parked_events RENAME TO parked_events_away");
    try {
      await send(topic, [message(topic, broken, 1), message(topic, behind, 1)]);
      await waitFor(async () => ((await metric(registry, "consumer_handling_failures_total", { group, topic, kind: "database" })) ?? 0) >= terminations + 2 ? true : undefined, {
        what: "parking to fail twice",
      });
      expect(await applied(behind)).toEqual([]);
    } finally {
      await pool.query("ALTER TABLE parked_events_away RENAME TO parked_events");
    }
    await appliedAre(behind, [1], "the partition going on once the broken event is parked");
    expect((await listParked(pool, group)).map((row) => [row.key, row.reason])).toEqual([[broken, "failed"]]);
  });

  it("redrives a dead-lettered event after the fix: listed without its payload, republished, applied once", async () => {
    const topic = iso.topic("dead");
    await iso.createTopics([{ topic, partitions: 1 }]);
    const key = `refused-${randomUUID()}`;
    const group = `${iso.topicPrefix}dead`;
    let ruleFixed = false;
    await run(group, [topic], recording(topic, (handled) => {
      if (handled === key && !ruleFixed) throw new DomainError("TEST.REFUSED", "conflict", "a rule that was wrong");
    }));
    const sent = message(topic, key, 1);
    await send(topic, [sent]);
    await waitFor(async () => (await pool.query<{ outcome: string }>("SELECT outcome FROM inbox WHERE event_id = $1", [sent.id])).rows[0]?.outcome === "dead_lettered" ? true : undefined, {
      what: "the event dead-lettered",
    });

    const letters = await listDeadLetters(kafka, pool, { topic, consumer: group });
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ topic, partition: 0, offset: "0", key, consumer: group, eventId: sent.id, type: "test.counter.incremented", reason: "a rule that was wrong", error: "DomainError", state: "dead_lettered" });
    expect(JSON.stringify(letters[0])).not.toContain('"by"'); // the payload stays out of the listing

    ruleFixed = true;
    const lines: string[] = [];
    const redrive = parseOperatorCommand(["dead-letters", "redrive", "--database-url", iso.databaseUrl, "--consumer", group, "--topic", topic], {
      KAFKA_BROKERS: iso.kafkaBrokers.join(","),
    });
    await runOperatorCommand(redrive, (line) => lines.push(line));
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ republished: 1, skipped: 0 });
    await appliedAre(key, [1], "the redriven event applied");
    expect((await pool.query("SELECT outcome FROM inbox WHERE event_id = $1", [sent.id])).rows).toEqual([{ outcome: "applied" }]);

    // Applied now: a second redrive sends nothing, and the listing says what became of it.
    const second = await redriveDeadLetters(kafka, pool, { topic, consumer: group });
    expect(second.republished).toEqual([]);
    expect(second.skipped.map((letter) => letter.state)).toEqual(["applied"]);
    expect(await applied(key)).toEqual([1]);
  });
});
