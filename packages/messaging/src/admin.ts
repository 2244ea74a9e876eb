import { randomUUID } from "node:crypto";
import type { Kafka } from "kafkajs";
import { fastConsumerSettings } from "./consumer";
import { createProducer } from "./kafka";

// Topic administration for tools and tests (clean-up of a test's topics, reading back what a
// service published), so that nothing outside this package calls the kafkajs API.

/** One message as it sits on a partition. */
export interface TopicMessage {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** Run `work` with a connected admin client, disconnected afterwards whatever happens. */
async function withAdmin<T>(kafka: Kafka, work: (admin: ReturnType<Kafka["admin"]>) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Answers of a broker that does not lead the partition yet (or no longer): asking again later, after a metadata refresh, succeeds. */
const NOT_LEADING = new Set(["NOT_LEADER_FOR_PARTITION", "LEADER_NOT_AVAILABLE", "UNKNOWN_TOPIC_OR_PARTITION"]);

/**
 * Each partition's low and high offsets. kafkajs's admin.fetchTopicOffsets gives up at once on
 * NOT_LEADER_FOR_PARTITION, which a partition answers for a moment after its topic was created
 * or its leader moved; asked again (a new client, fresh metadata) until `timeoutMs`.
 */
async function topicOffsets(kafka: Kafka, topic: string, timeoutMs: number): Promise<Awaited<ReturnType<ReturnType<Kafka["admin"]>["fetchTopicOffsets"]>>> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 50; ; wait = Math.min(wait * 2, 1_000)) {
    try {
      return await withAdmin(kafka, (admin) => admin.fetchTopicOffsets(topic));
    } catch (error) {
      const type = (error as { type?: unknown }).type;
      if (typeof type !== "string" || !NOT_LEADING.has(type) || Date.now() + wait > deadline) throw error;
      await sleep(wait);
    }
  }
}

/** The topics on the broker whose names start with `prefix`, sorted. */
export async function topicsWithPrefix(kafka: Kafka, prefix: string): Promise<string[]> {
  return withAdmin(kafka, async (admin) => (await admin.listTopics()).filter((topic) => topic.startsWith(prefix)).sort());
}

/** Delete those of `topics` that exist (a topic already gone is no error); resolves when the broker has. */
export async function deleteTopics(kafka: Kafka, topics: readonly string[], timeoutMs = 10_000): Promise<void> {
  if (topics.length === 0) return;
  await withAdmin(kafka, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const doomed = topics.filter((topic) => existing.has(topic));
    if (doomed.length > 0) await admin.deleteTopics({ topics: doomed, timeout: timeoutMs });
  });
}

/** Delete every topic whose name starts with `prefix` (a test's or a benchmark's own); returns them. */
export async function deleteTopicsWithPrefix(kafka: Kafka, prefix: string, timeoutMs = 10_000): Promise<string[]> {
  if (prefix.length === 0) throw new Error("refusing to delete every topic of the broker: give a prefix");
  const topics = await topicsWithPrefix(kafka, prefix);
  await deleteTopics(kafka, topics, timeoutMs);
  return topics;
}

/** A message to send as it is: a test's event, or bytes that are not one (a poison message). */
export interface OutgoingMessage {
  key: string | null;
  value: string;
  headers?: Record<string, string>;
}

/**
 * Send `messages` to `topic` in order, acknowledged by every in-sync replica, on a producer of
 * their own (tests and tools: a service publishes through its outbox relay, never like this).
 */
export async function sendToTopic(kafka: Kafka, topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
  const producer = createProducer(kafka);
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: messages.map((message) => ({ ...message })) });
  } finally {
    await producer.disconnect();
  }
}

/**
 * Every message of `topic` from the beginning up to its end as of this call (each partition's
 * high watermark, read first), in partition order. Reading up to a known end rather than "until
 * nothing more comes" makes the answer exact without waiting: whatever a relay had
 * acknowledged before the call, duplicates included, is in it. The throwaway consumer group is
 * deleted afterwards.
 */
export async function readTopic(kafka: Kafka, topic: string, timeoutMs = 30_000): Promise<TopicMessage[]> {
  const ends = await topicOffsets(kafka, topic, timeoutMs);
  const left = new Map(ends.filter((end) => BigInt(end.high) > BigInt(end.low)).map((end) => [end.partition, BigInt(end.high)]));
  const messages: TopicMessage[] = [];
  if (left.size === 0) return messages;

  const groupId = `reader-${randomUUID()}`;
  // The defaults make a group join and every idle fetch take seconds.
  const consumer = kafka.consumer({ groupId, ...fastConsumerSettings });
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const end = left.get(partition);
        if (end === undefined) return;
        const offset = BigInt(message.offset);
        if (offset < end) {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(message.headers ?? {})) if (value !== undefined) headers[name] = value.toString();
          messages.push({ partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value?.toString() ?? null, headers });
        }
        if (offset + 1n >= end) left.delete(partition);
        if (left.size === 0) finish();
        await Promise.resolve();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${topic}: partitions ${[...left.keys()].join(", ")} not read to their end within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([done, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await consumer.disconnect();
  }
  await withAdmin(kafka, (admin) => admin.deleteGroups([groupId])).catch(() => undefined);
  return messages.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}
