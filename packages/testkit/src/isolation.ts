import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { inject } from "vitest";
import { createKafka, ensureTopics, type TopicSpec } from "@kruzhok/messaging";
import { dropDatabase, ensureDatabase, withDatabase } from "@kruzhok/postgres";
import type { Infrastructure } from "./infrastructure";

/**
 * What one test file owns: its own database, Redis key prefix and topic prefix, so that files
 * run in parallel and never see each other's data.
 */
export interface Isolation {
  /** Short unique id, safe in database, key and topic names. */
  id: string;
  infra: Infrastructure;
  /** Connection string of this file's own database (created empty). */
  databaseUrl: string;
  redisUrl: string;
  /** Prefix every Redis key of this file with it. */
  redisPrefix: string;
  /** Prefix every topic and consumer group of this file with it. */
  topicPrefix: string;
  kafkaBrokers: string[];
  /** `topicPrefix + name`. */
  topic(name: string): string;
  /** Create this file's topics (and dead-letter twins) and wait for their leaders. */
  createTopics(specs: readonly TopicSpec[]): Promise<void>;
  /** Drop the database, delete the keys and topics. */
  cleanup(): Promise<void>;
}

function slug(label: string): string {
  return label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 24);
}

export async function isolate(label: string): Promise<Isolation> {
  const infra = inject("infra");
  const id = `${slug(label)}_${randomBytes(4).toString("hex")}`;
  const database = `t_${id}`;
  await ensureDatabase(infra.databaseUrl, database);
  const topicPrefix = `t.${id}.`;
  const createdTopics: string[] = [];
  const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: `test-${id}` });
  return {
    id,
    infra,
    databaseUrl: withDatabase(infra.databaseUrl, database),
    redisUrl: infra.redisUrl,
    redisPrefix: `t:${id}:`,
    topicPrefix,
    kafkaBrokers: infra.kafkaBrokers,
    topic: (name) => `${topicPrefix}${name}`,
    async createTopics(specs) {
      await ensureTopics(kafka, specs);
      for (const spec of specs) createdTopics.push(spec.topic, `${spec.topic}.dlq`);
    },
    async cleanup() {
      await dropDatabase(infra.databaseUrl, database);
      const redis = new Redis(infra.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
      try {
        await redis.connect();
        let cursor = "0";
        do {
          const [next, keys] = await redis.scan(cursor, "MATCH", `t:${id}:*`, "COUNT", 1000);
          if (keys.length > 0) await redis.unlink(...keys);
          cursor = next;
        } while (cursor !== "0");
      } finally {
        redis.disconnect();
      }
      if (createdTopics.length > 0) {
        const admin = kafka.admin();
        await admin.connect();
        try {
          const existing = new Set(await admin.listTopics());
          const topics = createdTopics.filter((topic) => existing.has(topic));
          if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
        } finally {
          await admin.disconnect();
        }
      }
    },
  };
}
