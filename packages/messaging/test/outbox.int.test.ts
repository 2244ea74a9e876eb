import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolate, waitFor, type Isolation } from "@kruzhok/testkit";
import type { Pool } from "@kruzhok/postgres";
import { z } from "zod";
import { defineEvent } from "@kruzhok/contracts";
import { withTransaction } from "@kruzhok/postgres";
import { ConsumerRunner, OutboxRelay, appendToOutbox, createKafka, fastConsumerSettings, newEvent, readTopic, type TopicMessage } from "../src";
import { applyHandler, increment, incrementCommitted, municipalityId, prepareDatabase, quietLogger } from "./fixtures/flow";

// tsx's loader inside one node process (its CLI would fork a second one, which SIGKILL would miss).
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm")).href;

/**
 * Every message on a topic from offset 0, as parsed envelopes, once at least `expected` arrived:
 * read to the partitions' ends as of that moment, so a duplicate the relay had sent is in the
 * answer without waiting "long enough" for one.
 */
async function readAll(kafka: Kafka, topic: string, expected: number): Promise<{ id: string; key: string }[]> {
  const parse = (messages: TopicMessage[]) =>
    messages.map((message) => ({ id: (JSON.parse(message.value ?? "{}") as { id: string }).id, key: message.key ?? "" }));
  return waitFor(async () => {
    const seen = parse(await readTopic(kafka, topic));
    return seen.length >= expected ? seen : undefined;
  }, { what: `${expected} messages on ${topic}` });
}

describe("outbox and relay on the real Postgres and Kafka", () => {
  let iso: Isolation;
  let pool: Pool;
  let kafka: Kafka;
  beforeAll(async () => {
    iso = await isolate("outbox");
    pool = await prepareDatabase(iso.databaseUrl);
    kafka = createKafka({ brokers: iso.kafkaBrokers, clientId: iso.id });
  });
  afterAll(async () => {
    await pool.end();
    await iso.cleanup();
  });

  it("publishes once, and a consumer applies once, an event committed by a process killed before its relay ran", async () => {
    const topic = iso.topic("killed");
    await iso.createTopics([{ topic, partitions: 3 }]);
    const counterId = `counter-${randomUUID()}`;

    const child = spawn(process.execPath, ["--import", tsxLoader, fileURLToPath(new URL("./fixtures/commit-then-die.ts", import.meta.url)), iso.databaseUrl, topic, counterId], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const eventId = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        const match = /committed (\S+)/.exec(chunk.toString());
        if (match?.[1]) resolve(match[1]);
      });
      child.on("exit", (code) => reject(new Error(`fixture exited early with ${code}`)));
    });
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));

    // The state change survived the kill and its event waits in the outbox.
    const pending = await pool.query("SELECT event_id FROM outbox WHERE published_at IS NULL");
    expect(pending.rows).toEqual([{ event_id: eventId }]);

    // "After restart": a new process's relay and consumer.
    const relay = new OutboxRelay({ pool, kafka, logger: quietLogger });
    const consumer = new ConsumerRunner({
      kafka, pool, logger: quietLogger, groupId: `${iso.topicPrefix}killed`, topics: [topic],
      handlers: [applyHandler(topic)], ...fastConsumerSettings,
    });
    await relay.start();
    await consumer.start();
    try {
      await waitFor(async () => ((await pool.query("SELECT 1 FROM applied_effects WHERE event_id = $1", [eventId])).rowCount ? true : undefined), { what: "the effect" });
    } finally {
      await consumer.stop();
      await relay.stop();
    }
    const messages = await readAll(kafka, topic, 1);
    expect(messages).toEqual([{ id: eventId, key: counterId }]);
    const effects = await pool.query("SELECT counter_id, by FROM applied_effects WHERE event_id = $1", [eventId]);
    expect(effects.rows).toEqual([{ counter_id: counterId, by: 1 }]);
  });

  it("publishes both events when two transactions commit in the opposite order of their outbox sequence", async () => {
    const topic = iso.topic("reorder");
    await iso.createTopics([{ topic, partitions: 1 }]);
    const relay = new OutboxRelay({ pool, kafka, logger: quietLogger, idleMs: 10 });
    await relay.start();
    const early = await pool.connect();
    try {
      await early.query("BEGIN");
      const earlyId = await increment(early, topic, "early", 1); // takes the lower seq, commits last
      const lateId = await incrementCommitted(pool, topic, "late", 1); // higher seq, committed first
      // The relay publishes the late row while the early one is still invisible...
      await waitFor(async () => ((await pool.query("SELECT 1 FROM outbox WHERE event_id = $1 AND published_at IS NOT NULL", [lateId])).rowCount ? true : undefined), { what: "late row published" });
      await early.query("COMMIT");
      // ...and must not have moved a cursor past the early row's sequence.
      await waitFor(async () => ((await pool.query("SELECT 1 FROM outbox WHERE event_id = $1 AND published_at IS NOT NULL", [earlyId])).rowCount ? true : undefined), { what: "early row published" });
      const ids = (await readAll(kafka, topic, 2)).map((m) => m.id);
      expect(ids.sort()).toEqual([earlyId, lateId].sort());
    } finally {
      early.release();
      await relay.stop();
    }
  });

  it("backs off while the outbox stays empty, and an append in this process wakes it at once", async () => {
    const topic = iso.topic("idle");
    await iso.createTopics([{ topic, partitions: 1 }]);
    // Pauses of 25, 50, 100, ... up to 10 s: without the wake an event would wait seconds.
    const relay = new OutboxRelay({ pool, kafka, logger: quietLogger, idleMs: 25, maxIdleMs: 10_000 });
    let rounds = 0;
    const publish = relay.publishBatch.bind(relay);
    relay.publishBatch = () => {
      rounds++;
      return publish();
    };
    const began = Date.now();
    await relay.start();
    try {
      // Rounds at 0, 25, 75, 175, 375, 775, 1575 and 3175 ms: the eighth begins a pause of 3.2 s.
      // At a steady 25 ms eight rounds take 0.2 s.
      await waitFor(async () => (rounds >= 8 ? true : undefined), { what: "eight empty rounds" });
      expect(Date.now() - began).toBeGreaterThan(2_000);
      const started = Date.now();
      const id = await incrementCommitted(pool, topic, "woken", 1);
      await waitFor(async () => ((await pool.query("SELECT 1 FROM outbox WHERE event_id = $1 AND published_at IS NOT NULL", [id])).rowCount ? true : undefined), {
        what: "the woken relay's publication",
      });
      // The relay had just begun a pause of 3.2 s when the event committed; it published long before its end.
      expect(Date.now() - started).toBeLessThan(1_500);
      expect((await readAll(kafka, topic, 1)).map((m) => m.id)).toEqual([id]);
    } finally {
      await relay.stop();
    }
  });

  it("publishes within its longest pause a row another process wrote, and stops at once while paused", async () => {
    const topic = iso.topic("elsewhere");
    await iso.createTopics([{ topic, partitions: 1 }]);
    const relay = new OutboxRelay({ pool, kafka, logger: quietLogger, idleMs: 25, maxIdleMs: 300 });
    await relay.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      // Written as another process writes it: no wake reaches this relay.
      const event = newEvent(defineEvent(topic, "test.elsewhere", 1, z.object({})), { municipalityId, aggregateId: "elsewhere" }, {}, new Date());
      await pool.query("INSERT INTO outbox (event_id, topic, message_key, type, payload) VALUES ($1, $2, $3, $4, $5)", [event.id, topic, "elsewhere", event.type, JSON.stringify(event)]);
      expect((await readAll(kafka, topic, 1)).map((m) => m.id)).toEqual([event.id]);
    } finally {
      const stopping = Date.now();
      await relay.stop();
      expect(Date.now() - stopping).toBeLessThan(2_000);
    }
  });

  it("keeps publishing in sequence order per aggregate under a burst", async () => {
    const topic = iso.topic("order");
    await iso.createTopics([{ topic, partitions: 3 }]);
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push(await incrementCommitted(pool, topic, "ordered", 1));
    const relay = new OutboxRelay({ pool, kafka, logger: quietLogger, batchSize: 7 });
    await relay.start();
    try {
      await relay.drain();
    } finally {
      await relay.stop();
    }
    const received = (await readAll(kafka, topic, 50)).map((m) => m.id);
    expect(received).toEqual(ids);
  });

  it("publishes under the deployment's topic prefix, the outbox row keeping the contract's topic", async () => {
    const prefix = `${iso.topicPrefix}stack2.`;
    const contractTopic = "kruzhok.sample.v1";
    await iso.createTopics([{ topic: `${prefix}${contractTopic}`, partitions: 1 }]);
    const id = await incrementCommitted(pool, contractTopic, "prefixed", 1);
    const relay = new OutboxRelay({ pool, kafka, logger: quietLogger, topicPrefix: prefix });
    await relay.start();
    try {
      await relay.drain();
    } finally {
      await relay.stop();
    }
    expect((await readAll(kafka, `${prefix}${contractTopic}`, 1)).map((m) => m.id)).toEqual([id]);
  });

  it("publishes a backlog of one key larger than the broker takes in one request (1 MB), in order, as several requests", async () => {
    const topic = iso.topic("large");
    await iso.createTopics([{ topic, partitions: 1 }]);
    // 30 events of ~100 KB under one key: one partition's batch of 3 MB, which the broker refuses whole.
    const large = defineEvent(topic, "test.large", 1, z.object({ n: z.number().int(), note: z.string() }));
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      ids.push(
        await withTransaction(pool, async (tx) => {
          const event = newEvent(large, { municipalityId, aggregateId: "large" }, { n: i, note: "x".repeat(100_000) }, new Date());
          await appendToOutbox(tx, [{ topic, event }]);
          return event.id;
        }),
      );
    }
    const relay = new OutboxRelay({ pool, kafka, logger: quietLogger });
    await relay.start();
    try {
      await relay.drain();
    } finally {
      await relay.stop();
    }
    expect((await readAll(kafka, topic, 30)).map((m) => m.id)).toEqual(ids);
  });
});
