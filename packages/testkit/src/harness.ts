import { Redis } from "ioredis";
import type { z } from "zod";
import type { EventContract } from "@kruzhok/contracts";
import { DEV_AUTH_SECRET } from "@kruzhok/http";
import { ConsumerRunner, createKafka, fastConsumerSettings, newEvent, type BatchHandler, type EventHandler, type TopicSpec } from "@kruzhok/messaging";
import { createLogger, createMetricsRegistry, type Logger, type Registry } from "@kruzhok/observability";
import { createPool, withTransaction, type Pool } from "@kruzhok/postgres";
import { testClock, type TestClock } from "./clock";
import { eventHandled, type InboxOutcome } from "./inbox";
import { isolate, type Isolation } from "./isolation";
import { captureLogs } from "./logs";
import { bearer, devToken, type TokenFor, type TokenOptions } from "./tokens";

/** What a Fastify app of the kit needs of the harness's app: to get ready and to close. */
interface App {
  ready(): PromiseLike<unknown>;
  close(): PromiseLike<unknown>;
}

/** The connections the harness opened, handed to the service's own builders. */
export interface HarnessBase {
  iso: Isolation;
  pool: Pool;
  redis: Redis;
  clock: TestClock;
  /** The service's logger, writing into `logs`. */
  logger: Logger;
  metrics: Registry;
  /** What the app verifies tokens with: development mode with the harness's secret. */
  auth: { mode: "dev"; secret: string };
}

export interface HarnessOptions<D extends object, A extends App> {
  /** The logger's service name. */
  service: string;
  /**
   * A label for a new isolation (own database, key and topic prefix), cleaned up by `close`; or
   * the test file's isolation, which the file cleans up itself (several apps on one database).
   */
  isolation: string | Isolation;
  migrate: (pool: Pool) => Promise<unknown>;
  /** Connections of the pool (default 20). */
  poolSize?: number;
  /**
   * How long a checkout may wait for a free connection (the service's PG_ACQUIRE_TIMEOUT_MS,
   * 5 s by default): a test that queues far more work than the pool has connections on purpose
   * sets it higher, since its point is the outcome under contention, not the bound.
   */
  acquireTimeoutMs?: number;
  /** Redis commands' keys get the isolation's prefix (a kit app's rate-limit counters); a service that prefixes its own keys leaves it off. */
  prefixRedisKeys?: boolean;
  /** The development secret tokens are signed with; the kit's default otherwise. */
  secret?: string;
  /** Where the test clock starts. */
  clockStart?: string;
  /** The service's own shared dependencies (a cache, a queue index), built once before the app. */
  deps?: (base: HarnessBase) => Promise<D> | D;
  app: (context: HarnessBase & D) => Promise<A> | A;
  /** The service's event handlers (its `eventHandlers(deps)`), for `deliver` and `consume`. */
  handlers?: (context: HarnessBase & D) => readonly EventHandler[];
  /** The service's batch handler, if its consumers run in batch mode: `consume` runs them so. */
  batchHandler?: (context: HarnessBase & D) => BatchHandler;
  /** Closes what `deps` opened, after the app closed. */
  stop?: (deps: D) => Promise<void> | void;
}

/** A consumer group running the harness's handlers on real topics. */
export interface RunningConsumer {
  groupId: string;
  /** Resolves with the inbox outcome once this consumer handled `eventId`. */
  handled(eventId: string, what?: string): Promise<InboxOutcome>;
  stop(): Promise<void>;
}

/**
 * A service under test in this process: its app through `app.inject`, on the test file's own
 * database and Redis prefix, with a clock the test sets, its log lines, tokens for any actor,
 * and its event handlers either called directly (`deliver`) or run by a real consumer group on
 * real topics (`consume`).
 */
export type Harness<D extends object = object, A extends App = App> = HarnessBase &
  D & {
    app: A;
    /** Every log line the service wrote, as JSON text. */
    logs: string[];
    token(who: TokenFor, ttl?: string): Promise<string>;
    /** The `authorization` header of `who`, to spread into `inject`'s headers. */
    as(who: TokenFor): Promise<{ authorization: string }>;
    /**
     * Hand an event to the service's own handler for its type and version, in one transaction,
     * as the consumer runner does after reading it from Kafka; returns the event's id. The broker
     * path is `consume`'s (and the consumer runner's own tests').
     */
    deliver<C extends EventContract>(contract: C, origin: { municipalityId: string; aggregateId: string }, data: z.input<C["data"]>): Promise<string>;
    /** Create `topics` (this file's, with their dead-letter twins) and run the handlers on them as a consumer group. */
    consume(topics: readonly TopicSpec[]): Promise<RunningConsumer>;
    close(): Promise<void>;
  };

export async function serviceHarness<D extends object = object, A extends App = App>(options: HarnessOptions<D, A>): Promise<Harness<D, A>> {
  const ownIsolation = typeof options.isolation === "string";
  const iso = typeof options.isolation === "string" ? await isolate(options.isolation) : options.isolation;
  const pool = createPool({ connectionString: iso.databaseUrl, max: options.poolSize ?? 20, ...(options.acquireTimeoutMs !== undefined && { acquireTimeoutMs: options.acquireTimeoutMs }) });
  const redis = new Redis(iso.redisUrl, { maxRetriesPerRequest: 2, ...(options.prefixRedisKeys && { keyPrefix: iso.redisPrefix }) });
  const closing: (() => Promise<unknown>)[] = [];
  try {
    await options.migrate(pool);
    const captured = captureLogs();
    const secret = options.secret;
    const tokens: TokenOptions = secret === undefined ? {} : { secret };
    const base: HarnessBase = {
      iso,
      pool,
      redis,
      clock: testClock(options.clockStart),
      logger: createLogger({ service: options.service, level: "info" }, captured.stream),
      metrics: createMetricsRegistry(options.service, false),
      auth: { mode: "dev", secret: secret ?? DEV_AUTH_SECRET },
    };
    const deps = ((await options.deps?.(base)) ?? {}) as D;
    if (options.stop) closing.push(async () => options.stop?.(deps));
    const context = { ...base, ...deps };
    const app = await options.app(context);
    closing.push(() => Promise.resolve(app.close()));
    await app.ready();
    const handlers = options.handlers?.(context) ?? [];
    const batch = options.batchHandler?.(context);
    const consumers = new Set<ConsumerRunner>();

    const harness = {
      ...context,
      app,
      logs: captured.lines,
      token: (who: TokenFor, ttl?: string) => devToken(who, { ...tokens, ...(ttl !== undefined && { ttl }) }),
      as: async (who: TokenFor) => ({ authorization: await bearer(who, tokens) }),
      async deliver<C extends EventContract>(contract: C, origin: { municipalityId: string; aggregateId: string }, data: z.input<C["data"]>) {
        const handler = handlers.find((h) => h.contract.type === contract.type && h.contract.version === contract.version);
        if (!handler) throw new Error(`${options.service} has no handler for ${contract.type} v${contract.version}`);
        const event = newEvent(contract, origin, data, base.clock());
        await withTransaction(pool, (tx) => handler.handle(event, { tx, logger: base.logger }));
        return event.id;
      },
      async consume(topics: readonly TopicSpec[]): Promise<RunningConsumer> {
        await iso.createTopics(topics);
        const groupId = `${iso.topicPrefix}${options.service}`;
        const runner = new ConsumerRunner({
          kafka: createKafka({ brokers: iso.kafkaBrokers, clientId: `${iso.id}-${options.service}` }),
          pool,
          logger: base.logger,
          groupId,
          topics: topics.map((spec) => spec.topic),
          handlers,
          ...(batch && { batch }),
          ...fastConsumerSettings,
        });
        await runner.start();
        consumers.add(runner);
        return {
          groupId,
          handled: (eventId, what) => eventHandled(pool, eventId, { consumer: groupId, ...(what !== undefined && { what }) }),
          async stop() {
            if (consumers.delete(runner)) await runner.stop();
          },
        };
      },
      async close() {
        // Consumers first (they write through the pool), then the app, then what the service built.
        for (const runner of consumers) await runner.stop();
        consumers.clear();
        await closeAll();
      },
    };
    return harness;
  } catch (error) {
    await closeAll().catch(() => undefined);
    throw error;
  }

  async function closeAll(): Promise<void> {
    for (const step of closing.splice(0).reverse()) await step();
    redis.disconnect();
    await pool.end();
    if (ownIsolation) await iso.cleanup();
  }
}
