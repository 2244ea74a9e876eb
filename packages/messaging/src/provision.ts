import type { Kafka } from "kafkajs";
import { deadLetterTopic } from "@kruzhok/contracts";

export interface TopicSpec {
  topic: string;
  partitions?: number;
  /** Also create `<topic>.dlq` (default true). */
  deadLetter?: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Create the topics that do not exist yet (and their dead-letter twins), then wait until every
 * partition has a leader that serves it. On KRaft a just-created topic answers
 * UNKNOWN_TOPIC_OR_PARTITION for a moment and kafkajs retries only LEADER_NOT_AVAILABLE, so
 * nothing subscribes, produces or reads offsets before this resolves.
 */
export async function ensureTopics(kafka: Kafka, specs: readonly TopicSpec[], timeoutMs = 30_000): Promise<void> {
  const wanted = new Map<string, number>();
  for (const spec of specs) {
    const partitions = spec.partitions ?? 3;
    wanted.set(spec.topic, partitions);
    if (spec.deadLetter !== false) wanted.set(deadLetterTopic(spec.topic), 1);
  }
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...wanted].filter(([topic]) => !existing.has(topic));
    if (missing.length > 0) {
      try {
        // Leaders are waited for below: kafkajs's own wait gives up on a topic that another
        // service created a moment ago (UNKNOWN_TOPIC_OR_PARTITION is not retried).
        await admin.createTopics({
          waitForLeaders: false,
          // -1: the broker's own default.replication.factor (1 on a laptop's single broker, 3 on
          // a region's cluster), so the same code never creates an unreplicated topic in production.
          topics: missing.map(([topic, numPartitions]) => ({ topic, numPartitions, replicationFactor: -1 })),
        });
      } catch (error) {
        // Another service (several start together) may have created some of them in between.
        const now = new Set(await admin.listTopics());
        if (!missing.every(([topic]) => now.has(topic))) throw error;
      }
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ready = await allLeadersElected(admin, [...wanted.keys()]);
      if (ready) return;
      if (Date.now() > deadline) {
        throw new Error(`topics ${[...wanted.keys()].join(", ")} have partitions without a leader after ${timeoutMs} ms`);
      }
      await sleep(100);
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * Whether every partition of `topics` has a leader, and that leader already acts as one. The
 * metadata naming a leader is not enough: a KRaft broker updates the metadata it answers with
 * before its replica manager takes the partition on, and in between a produce or a ListOffsets
 * gets NOT_LEADER_OR_FOLLOWER ("This server is not the leader for that topic-partition"), which
 * kafkajs's admin.fetchTopicOffsets does not retry. So each topic's offsets are asked of its
 * leaders too: they answer only once they lead.
 */
async function allLeadersElected(admin: ReturnType<Kafka["admin"]>, topics: string[]): Promise<boolean> {
  try {
    const metadata = await admin.fetchTopicMetadata({ topics });
    const named = metadata.topics.length === topics.length && metadata.topics.every(
      (topic) => topic.partitions.length > 0 && topic.partitions.every((partition) => partition.leader >= 0),
    );
    if (!named) return false;
    await Promise.all(topics.map((topic) => admin.fetchTopicOffsets(topic)));
    return true;
  } catch {
    return false;
  }
}
