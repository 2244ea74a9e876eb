import { randomUUID } from "node:crypto";
import { Partitioners } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolate, waitFor, type Isolation } from "@kruzhok/testkit";
import { createKafka, ensureTopics, fastConsumerSettings } from "../src";

// The ground under every other test: the real broker takes messages and gives them back.
describe("the real Kafka broker", () => {
  let iso: Isolation;
  beforeAll(async () => {
    iso = await isolate("broker");
  });
  afterAll(async () => {
    await iso.cleanup();
  });

  it("provisions a topic with its dead-letter twin, every partition led", async () => {
    const kafka = createKafka({ brokers: iso.kafkaBrokers, clientId: iso.id });
    const topic = iso.topic("provisioned");
    await iso.createTopics([{ topic, partitions: 4 }]);
    // A second call with the topics present is a no-op rather than an error.
    await ensureTopics(kafka, [{ topic, partitions: 4 }]);

    const admin = kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic, `${topic}.dlq`] });
      expect(topics.map((t) => [t.name, t.partitions.length]).sort()).toEqual([
        [topic, 4],
        [`${topic}.dlq`, 1],
      ]);
      expect(topics.flatMap((t) => t.partitions).every((p) => p.leader >= 0)).toBe(true);
    } finally {
      await admin.disconnect();
    }
  });

  it("provisions the same new topics from several processes starting together", async () => {
    // As `npm start` on a fresh broker: every service ensures the topics it shares with the others.
    const topics = ["a", "b", "c", "d", "e", "f"].map((n) => iso.topic(`shared-${n}`));
    const clients = [1, 2, 3, 4, 5, 6].map((n) => createKafka({ brokers: iso.kafkaBrokers, clientId: `${iso.id}-${n}` }));
    await Promise.all(clients.map((kafka) => ensureTopics(kafka, topics.map((topic) => ({ topic, partitions: 3 })))));
    const admin = clients[0]!.admin();
    await admin.connect();
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      expect(found.map((t) => t.partitions.length)).toEqual(topics.map(() => 3));
    } finally {
      await admin.deleteTopics({ topics: [...topics, ...topics.map((t) => `${t}.dlq`)] }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it("delivers what a producer sends to a consumer group, in order per key", async () => {
    const kafka = createKafka({ brokers: iso.kafkaBrokers, clientId: iso.id });
    const topic = iso.topic("roundtrip");
    await iso.createTopics([{ topic, partitions: 3 }]);

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
    await producer.connect();
    const keys = [randomUUID(), randomUUID(), randomUUID()];
    const sent = keys.flatMap((key) => [1, 2, 3].map((n) => ({ key, value: `${key}:${n}` })));
    await producer.send({ topic, acks: -1, messages: sent });
    await producer.disconnect();

    const received: { key: string; value: string }[] = [];
    const consumer = kafka.consumer({
      groupId: `${iso.topicPrefix}roundtrip`,
      ...fastConsumerSettings,
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push({ key: message.key?.toString() ?? "", value: message.value?.toString() ?? "" });
        await Promise.resolve();
      },
    });
    try {
      await waitFor(() => (received.length >= sent.length ? true : undefined), { what: "all 9 messages" });
    } finally {
      await consumer.disconnect();
    }
    expect(received).toHaveLength(sent.length);
    for (const key of keys) {
      expect(received.filter((m) => m.key === key).map((m) => m.value)).toEqual([1, 2, 3].map((n) => `${key}:${n}`));
    }
  });
});
