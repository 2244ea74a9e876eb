import { randomUUID } from "node:crypto";
import { Partitioners, type IHeaders, type Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolate, waitFor, type Isolation } from "@kruzhok/testkit";
import type { Pool } from "@kruzhok/postgres";
import { ConsumerRunner, createKafka, newEvent, fastConsumerSettings } from "../src";
import { applyHandler, counted, municipalityId, prepareDatabase, quietLogger } from "./fixtures/flow";

describe("consumer runner on the real Postgres and Kafka", () => {
  let iso: Isolation;
  let pool: Pool;
  let kafka: Kafka;
  const runners: ConsumerRunner[] = [];

  beforeAll(async () => {
    iso = await isolate("consumer");
    pool = await prepareDatabase(iso.databaseUrl);
    kafka = createKafka({ brokers: iso.kafkaBrokers, clientId: iso.id });
  });
  afterAll(async () => {
    await Promise.all(runners.map((runner) => runner.stop()));
    await pool.end();
    await iso.cleanup();
  });

  function runner(topic: string, groupId: string): ConsumerRunner {
    const created = new ConsumerRunner({
      kafka, pool, logger: quietLogger, groupId, topics: [topic], handlers: [applyHandler(topic)],
      ...fastConsumerSettings,
    });
    runners.push(created);
    return created;
  }

  async function send(topic: string, messages: { key: string; value: string }[]): Promise<void> {
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages });
    await producer.disconnect();
  }

  const effectCount = async (counterId: string) =>
    Number((await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM applied_effects WHERE counter_id = $1", [counterId])).rows[0]?.n);

  it("applies an event delivered twice once, and once again after a whole-topic replay from offset 0", async () => {
    const topic = iso.topic("dupes");
    await iso.createTopics([{ topic, partitions: 2 }]);
    const counterId = `c-${randomUUID()}`;
    const events = [1, 2, 3].map((by) => newEvent(counted(topic), { municipalityId, aggregateId: counterId }, { by }, new Date()));
    const values = events.map((event) => ({ key: counterId, value: JSON.stringify(event) }));
    await send(topic, [...values, values[1]!]); // the second event twice

    const first = runner(topic, `${iso.topicPrefix}dupes`);
    await first.start();
    await waitFor(async () => ((await effectCount(counterId)) >= 3 ? true : undefined), { what: "3 effects" });
    await first.stop();

    // Replay: the same group is moved back to offset 0, so every event is delivered again.
    const replay = runner(topic, `${iso.topicPrefix}dupes`);
    const admin = kafka.admin();
    await admin.connect();
    await admin.resetOffsets({ groupId: `${iso.topicPrefix}dupes`, topic, earliest: true });
    await admin.disconnect();
    await replay.start();
    await waitFor(async () => {
      const offsets = await (async () => {
        const a = kafka.admin();
        await a.connect();
        try {
          return await a.fetchOffsets({ groupId: `${iso.topicPrefix}dupes`, topics: [topic] });
        } finally {
          await a.disconnect();
        }
      })();
      const committed = offsets[0]!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
      return committed >= 4 ? true : undefined;
    }, { what: "replay to reach the end of the topic" });
    await replay.stop();

    const rows = await pool.query<{ by: number }>("SELECT by FROM applied_effects WHERE counter_id = $1 ORDER BY by", [counterId]);
    expect(rows.rows.map((row) => row.by)).toEqual([1, 2, 3]);
  });

  it("sends a schema-invalid message to the dead-letter topic with its reason, and processes the next message on the partition", async () => {
    const topic = iso.topic("poison");
    await iso.createTopics([{ topic, partitions: 1 }]);
    const counterId = `c-${randomUUID()}`;
    const bad = newEvent(counted(topic), { municipalityId, aggregateId: counterId }, { by: 1 }, new Date());
    const badValue = JSON.stringify({ ...bad, data: { by: -5 } });
    const good = newEvent(counted(topic), { municipalityId, aggregateId: counterId }, { by: 7 }, new Date());
    await send(topic, [
      { key: counterId, value: "this is not json" },
      { key: counterId, value: badValue },
      { key: counterId, value: JSON.stringify(good) },
    ]);

    await runner(topic, `${iso.topicPrefix}poison`).start();
    await waitFor(async () => ((await effectCount(counterId)) === 1 ? true : undefined), { what: "the good message" });
    expect((await pool.query("SELECT by FROM applied_effects WHERE counter_id = $1", [counterId])).rows).toEqual([{ by: 7 }]);

    const dead: { value: string; headers: IHeaders }[] = [];
    const reader = kafka.consumer({ groupId: `reader-${randomUUID()}`, ...fastConsumerSettings });
    await reader.connect();
    await reader.subscribe({ topic: `${topic}.dlq`, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        dead.push({ value: message.value?.toString() ?? "", headers: message.headers ?? {} });
        await Promise.resolve();
      },
    });
    try {
      await waitFor(() => (dead.length >= 2 ? true : undefined), { what: "2 dead letters" });
    } finally {
      await reader.disconnect();
    }
    expect(dead.map((d) => d.value)).toEqual(["this is not json", badValue]);
    expect(dead[0]!.headers["x-dlq-reason"]?.toString()).toBe("value is not JSON");
    expect(dead[1]!.headers["x-dlq-reason"]?.toString()).toMatch(/data of test\.counter\.incremented v1 invalid: by: .*/);
    expect(dead[1]!.headers["x-dlq-offset"]?.toString()).toBe("1");
    // The dead-lettered event is remembered, so a replay does not send it again.
    const inbox = await pool.query("SELECT outcome FROM inbox WHERE event_id = $1", [bad.id]);
    expect(inbox.rows).toEqual([{ outcome: "dead_lettered" }]);
  });
});
