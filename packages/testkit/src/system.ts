import { Redis } from "ioredis";
import { createKafka, deleteTopicsWithPrefix, readTopic } from "@kruzhok/messaging";
import type { Infrastructure } from "./infrastructure";
import { deleteRedisKeys, isolationId } from "./isolation";
import { serviceUnderTest, type ServiceUnderTest } from "./service-under-test";
import { bearer, type TokenFor } from "./tokens";

/** A service of a system: its main.ts and what its environment adds to the system's. */
export interface SystemServiceSpec {
  main: string;
  env?: Record<string, string>;
}

/** An event as it travels on a topic (only the envelope's fields a check reads). */
export interface TopicEvent {
  id: string;
  type: string;
  aggregateId: string;
  municipalityId: string;
  correlationId: string;
  causationId: string | null;
  data: Record<string, unknown>;
}

/**
 * Several services as their own processes over the real broker: each on its own database, all
 * on one topic prefix (so each hears the others' events as in production, and nothing of
 * another test or of a `npm start` on the same broker), on one Redis key prefix, with fast
 * consumers. `services.<name>` is each one's `ServiceUnderTest`: HTTP, its database, kill and
 * start again.
 */
export interface System<N extends string> {
  readonly id: string;
  readonly topicPrefix: string;
  readonly redisPrefix: string;
  readonly services: Readonly<Record<N, ServiceUnderTest>>;
  /** Start the named services together (all of them when none is named); resolves once every one is ready. */
  start(...names: N[]): Promise<void>;
  /** SIGKILL one service, as a crash does, then start it again on the same port and database. */
  crashAndRestart(name: N): Promise<void>;
  /** The `authorization` header value for `who`, a development token the services accept. */
  as(who: TokenFor): Promise<string>;
  /** Every event on `topic` (the contract's name, unprefixed) from the beginning to its end now. */
  events(topic: string): Promise<TopicEvent[]>;
  /** The last output of every service, for failure messages. */
  output(chars?: number): string;
  /** Kill every process, drop every database, delete the topics and Redis keys. */
  cleanup(): Promise<void>;
}

/**
 * Describe a system of services under `label`; nothing runs before `start`. Each service gets
 * `RATE_LIMIT_PER_MINUTE` high enough for a test's polling and `REDIS_KEY_PREFIX` of the system
 * (services that keep keys in Redis prefix them with it), besides its own `env`.
 */
export async function systemUnderTest<N extends string>(infra: Infrastructure, label: string, specs: Record<N, SystemServiceSpec>): Promise<System<N>> {
  const id = isolationId(label);
  const topicPrefix = `t.${id}.`;
  const redisPrefix = `t:${id}:`;
  const names = Object.keys(specs) as N[];
  const entries = await Promise.all(
    names.map(async (name) => {
      const spec = specs[name];
      const service = await serviceUnderTest(infra, {
        name,
        main: spec.main,
        database: `t_${id}_${name}`,
        topicPrefix,
        env: { RATE_LIMIT_PER_MINUTE: "1000000", REDIS_KEY_PREFIX: redisPrefix, ...spec.env },
      });
      return [name, service] as const;
    }),
  );
  const services = Object.fromEntries(entries) as Record<N, ServiceUnderTest>;
  const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: `${id}-test` });
  const output = (chars?: number) => names.map((name) => services[name].output(chars)).join("\n");

  return {
    id,
    topicPrefix,
    redisPrefix,
    services,
    async start(...only) {
      await Promise.all((only.length > 0 ? only : names).map((name) => services[name].start()));
    },
    async crashAndRestart(name) {
      await services[name].kill();
      await services[name].start();
    },
    as: (who) => bearer(who),
    async events(topic) {
      const messages = await readTopic(kafka, `${topicPrefix}${topic}`);
      return messages.map((message) => JSON.parse(message.value ?? "{}") as TopicEvent);
    },
    output,
    async cleanup() {
      await Promise.all(names.map((name) => services[name].cleanup()));
      await deleteTopicsWithPrefix(kafka, topicPrefix);
      const redis = new Redis(infra.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
      try {
        await deleteRedisKeys(redis, redisPrefix);
      } finally {
        redis.disconnect();
      }
    },
  };
}
