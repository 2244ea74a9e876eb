import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolate, type Isolation } from "@kruzhok/testkit";
import { ConfigResourceTypes } from "kafkajs";
import { createKafka, deleteTopics, deleteTopicsWithPrefix, ensureTopics, readTopic, sendToTopic, topicsWithPrefix } from "../src";

// Topic administration for tests and tools on the real broker: what testkit cleans up and reads
// back with, so that it never calls kafkajs itself.
describe("topic administration", () => {
  let iso: Isolation;
  beforeAll(async () => {
    iso = await isolate("admin");
  });
  afterAll(async () => {
    await iso.cleanup();
  });

  it("reads a topic from the beginning to its end as of the call, duplicates and all, every partition", async () => {
    const kafka = createKafka({ brokers: iso.kafkaBrokers, clientId: iso.id });
    const topic = iso.topic("read");
    await iso.createTopics([{ topic, partitions: 3 }]);
    expect(await readTopic(kafka, topic)).toEqual([]);

    const messages = ["a", "b", "c", "d", "e", "f"].map((key, index) => ({ key, value: JSON.stringify({ n: index }), headers: { "x-test": key } }));
    await sendToTopic(kafka, topic, [...messages, messages[0]!]);
    const read = await readTopic(kafka, topic);
    expect(read).toHaveLength(7);
    expect(read.filter((message) => message.key === "a").map((message) => message.value)).toEqual([JSON.stringify({ n: 0 }), JSON.stringify({ n: 0 })]);
    expect(new Set(read.map((message) => message.partition)).size).toBeGreaterThan(1);
    expect(read.find((message) => message.key === "e")?.headers).toEqual({ "x-test": "e" });

    // Each read goes to the end as it is when the read begins.
    await sendToTopic(kafka, topic, [{ key: "g", value: "late" }]);
    expect(await readTopic(kafka, topic)).toHaveLength(8);
  });

  it("serves every partition of a topic as soon as creating it resolves: offsets read and messages sent at once", async () => {
    // Right after creation the broker's metadata names a leader before that leader serves the
    // partition; ensureTopics waits for the leader itself, so none of these may meet
    // "This server is not the leader for that topic-partition".
    const kafka = createKafka({ brokers: iso.kafkaBrokers, clientId: iso.id });
    for (let round = 0; round < 4; round++) {
      const topic = iso.topic(`fresh-${round}`);
      await iso.createTopics([{ topic, partitions: 6, deadLetter: false }]);
      expect(await readTopic(kafka, topic)).toEqual([]);
      await sendToTopic(kafka, topic, ["a", "b", "c", "d", "e", "f", "g", "h"].map((key) => ({ key, value: key })));
      expect(await readTopic(kafka, topic)).toHaveLength(8);
    }
  });

  it("creates topics with the broker's own default replication factor, not a constant", async () => {
    const kafka = createKafka({ brokers: iso.kafkaBrokers, clientId: iso.id });
    const topic = iso.topic("replicated");
    await ensureTopics(kafka, [{ topic, partitions: 2 }]);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { brokers } = await admin.describeCluster();
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.BROKER, name: String(brokers[0]!.nodeId), configNames: ["default.replication.factor"] }],
      });
      const byDefault = Number(described.resources[0]!.configEntries[0]!.configValue);
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic, `${topic}.dlq`] });
      for (const t of topics) for (const partition of t.partitions) expect(partition.replicas).toHaveLength(byDefault);
    } finally {
      await admin.disconnect();
    }
  });

  it("lists and deletes the topics of a prefix only, and deleting a topic that is gone is no error", async () => {
    const kafka = createKafka({ brokers: iso.kafkaBrokers, clientId: iso.id });
    const prefix = iso.topic("mine.");
    await iso.createTopics([{ topic: `${prefix}one`, partitions: 1 }, { topic: `${prefix}two`, partitions: 1, deadLetter: false }, { topic: iso.topic("other"), partitions: 1, deadLetter: false }]);
    expect(await topicsWithPrefix(kafka, prefix)).toEqual([`${prefix}one`, `${prefix}one.dlq`, `${prefix}two`]);

    await deleteTopics(kafka, [`${prefix}two`, `${prefix}never-made`]);
    expect(await topicsWithPrefix(kafka, prefix)).toEqual([`${prefix}one`, `${prefix}one.dlq`]);
    expect(await deleteTopicsWithPrefix(kafka, prefix)).toEqual([`${prefix}one`, `${prefix}one.dlq`]);
    expect(await topicsWithPrefix(kafka, prefix)).toEqual([]);
    expect(await topicsWithPrefix(kafka, iso.topic("other"))).toEqual([iso.topic("other")]);
    await expect(deleteTopicsWithPrefix(kafka, "")).rejects.toThrow(/give a prefix/);
  });
});
