import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { inject } from "vitest";
import { createKafka, deleteTopics, ensureTopics, type TopicSpec } from "@kruzhok/messaging";
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

/** A short unique id for `label`, safe in database, key and topic names. */
export function isolationId(label: string): string {
  const slug = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 24);
  return `${slug}_${randomBytes(4).toString("hex")}`;
}

/** Delete every key that starts with `prefix`: FLUSHALL as far as one test can see (others share the server). Returns how many. */
export async function deleteRedisKeys(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    if (keys.length > 0) deleted += await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== "0");
  return deleted;
}

export async function isolate(label: string): Promise<Isolation> {
  const infra = inject("infra");
  const id = isolationId(label);
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
        await deleteRedisKeys(redis, `t:${id}:`);
      } finally {
        redis.disconnect();
      }
      await deleteTopics(kafka, createdTopics);
    },
  };
}
