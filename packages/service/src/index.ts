import cluster from "node:cluster";
import type { Redis } from "ioredis";
import type { z } from "zod";
import { ConfigError, parseConfig, type ServiceConfig } from "@kruzhok/config";
import { closeOnSignals, type AppOptions, type AuthConfig, type HttpApp, type OverloadOptions, type ReadinessCheck, type ShutdownStep } from "@kruzhok/http";
import { ConsumerRunner, OutboxRelay, createKafka, ensureTopics, parseBrokers, type BatchHandler, type EventHandler, type Kafka, fastConsumerSettings } from "@kruzhok/messaging";
import { OutageLog, createLogger, createMetricsRegistry, workerMetrics, type Logger, type Outage, type Registry } from "@kruzhok/observability";
import { createPool, ensureDatabase, withDatabase, type Pool } from "@kruzhok/postgres";
import { allWorkersListening, noSiblings, superviseWorkers, workerSiblings, type Siblings } from "./cluster";
import { startJob, type PeriodicJob } from "./jobs";
import { createRedisClient } from "./redis";
import { authConfigFrom, clockFrom, describeAuth, httpEdgeFrom } from "./settings";

export { noSiblings, type Siblings } from "./cluster";
export { startJob, type PeriodicJob } from "./jobs";
export { createRedisClient, type RedisClientOptions } from "./redis";
export { authConfigFrom, clockFrom, describeAuth, httpEdgeFrom, isLoopbackHost } from "./settings";

/** What a service's builders get: the connections its main.ts opened, once. */
export interface ServiceContext<C extends ServiceConfig = ServiceConfig> {
  config: C;
  logger: Logger;
  metrics: Registry;
  pool: Pool;
  redis: Redis;
  /** Redis's outages as this process sees them: one log line each, `dependency_up`, and whether to try it now. */
  redisOutage: Outage;
  kafka: Kafka;
  clock: () => Date;
  /** The other workers of this service on this machine (WORKERS > 1); nobody otherwise. */
  siblings: Siblings;
  /** The options every service passes to its app builder (and on to `buildApp`). */
  app: {
    logger: Logger;
    auth: AuthConfig;
    metrics: Registry;
    redis: Redis;
    redisOutage: Outage;
    readiness: ReadinessCheck[];
    rateLimit: { max: number };
    corsOrigins: readonly string[];
    overload: OverloadOptions;
  } & Pick<AppOptions, "trustProxy" | "access" | "timeouts">;
}

/**
 * A service, as its main.ts describes it: what runService needs to bring it up and down.
 * `S` is what `shared` builds: the dependencies the app, the consumers, `start` and the jobs of
 * one process share (an answer cache the consumers tell of changes, a Redis index), built once
 * and handed to each as their second argument.
 */
export interface ServiceDefinition<C extends ServiceConfig, S = undefined> {
  name: string;
  config: z.ZodType<C>;
  migrate: (pool: Pool) => Promise<string[]>;
  topics: { published: readonly string[]; consumed: readonly string[]; partitions?: number };
  /** Built once per process, after the connections are open and before the app. */
  shared?: (context: ServiceContext<C>) => S | Promise<S>;
  buildApp: (context: ServiceContext<C>, shared: S) => Promise<HttpApp>;
  handlers: (context: ServiceContext<C>, shared: S) => EventHandler[];
  /** Batch mode of the consumers (ConsumerRunner's `batch`): many events of one fetch in one transaction; undefined: per event. */
  batchHandler?: (context: ServiceContext<C>, shared: S) => BatchHandler | undefined;
  /** How many partitions' batches the consumers handle at once (ConsumerRunner's default when absent). */
  partitionsConsumedConcurrently?: number;
  /** Work of the service's own once its consumers and relay run (a Redis rebuild); returns steps for shutdown. */
  start?: (context: ServiceContext<C>, shared: S) => Promise<ShutdownStep[]>;
  /** Work done every so often (sweeps, syncs, checks): started after `start`, stopped first on shutdown. */
  jobs?: (context: ServiceContext<C>, shared: S) => readonly PeriodicJob[];
  /**
   * Shutdown steps for what the handlers hold open (a mail channel's pooled connections), run
   * once the consumers and the relay have stopped, before Redis and Postgres close: a delivery
   * still under way finishes first, and nothing left open keeps the process from exiting.
   */
  close?: (context: ServiceContext<C>, shared: S) => ShutdownStep[];
}

/**
 * The start of every Kruzhok process, in the order the house follows: config -> database
 * (created, migrated) -> Redis, Kafka topics -> app -> consumers -> relay -> listen; and on
 * SIGTERM the reverse: unready, stop listening, leave the group, drain the relay, close pools.
 * A bad environment ends the process with one line on stderr and exit code 1, opening nothing.
 * With WORKERS > 1 this process only migrates, makes the topics and keeps that many workers
 * running (cluster.ts); each worker then runs all of the above, a replica of the service.
 */
export async function runService<C extends ServiceConfig, S = undefined>(definition: ServiceDefinition<C, S>): Promise<void> {
  const { name } = definition;
  let config: C;
  let auth: AuthConfig;
  let clock: () => Date;
  try {
    config = parseConfig(definition.config);
    auth = authConfigFrom(config);
    clock = clockFrom(config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${name}: ${error.message}\n`);
    process.exitCode = 1;
    return;
  }

  const logger = createLogger({ service: name, level: config.LOG_LEVEL });
  const database = config.SERVICE_DATABASE ?? name;
  // Once per service, before anything is opened (workers inherit the environment, so the
  // primary speaks for them): the first line to read when tokens are refused.
  if (cluster.isPrimary) {
    logger.info(
      auth.mode === "oidc"
        ? { auth: { mode: "oidc", issuer: auth.issuer, audience: auth.audience, jwksUrl: String(auth.jwksUrl), maxTokenLifetimeS: auth.maxLifetimeSeconds } }
        : { auth: { mode: "development", host: config.HOST, maxTokenLifetimeS: auth.maxLifetimeSeconds } },
      `auth ${describeAuth(auth, config)}`,
    );
  }
  if (config.MIGRATE_ONLY) {
    // The migration Job of a rollout (deploy/k8s): the schema alone, so that a failing migration
    // stops the deploy as a failed Job. Replicas that start meanwhile migrate too, under the same
    // advisory lock (packages/postgres migrate), and find nothing left to apply.
    const applied = await migrateDatabase(definition, config, database);
    logger.info({ applied }, applied.length > 0 ? "migrations applied; exiting (MIGRATE_ONLY)" : "no migration to apply; exiting (MIGRATE_ONLY)");
    return;
  }
  if (config.WORKERS > 1 && cluster.isPrimary) {
    // The database is made ready once, here; each worker is then the whole service, a replica.
    const applied = await migrateDatabase(definition, config, database);
    if (applied.length > 0) logger.info({ applied }, "migrations applied");
    // And the topics: workers that start together would race to create them. A broker that
    // does not answer stops nothing: each worker provisions them itself once it does.
    await Promise.race([
      provisionTopics(createKafka({ brokers: parseBrokers(config.KAFKA_BROKERS), clientId: name }, logger), definition, config),
      new Promise((_resolve, reject) => setTimeout(() => reject(new Error(`no answer within ${config.KAFKA_START_WAIT_MS} ms`)), config.KAFKA_START_WAIT_MS).unref()),
    ]).catch((err: unknown) => logger.warn({ err }, "topics not provisioned: the broker does not answer; the workers provision them once it does"));
    superviseWorkers(config.WORKERS, logger);
    return;
  }
  const metrics = createMetricsRegistry(name);
  const clustered = cluster.isWorker;
  await ensureDatabase(config.DATABASE_URL, database);
  const pool = createPool({
    connectionString: withDatabase(config.DATABASE_URL, database),
    max: 20,
    applicationName: name,
    acquireTimeoutMs: config.PG_ACQUIRE_TIMEOUT_MS,
    statementTimeoutMs: config.PG_STATEMENT_TIMEOUT_MS,
    // A restart of Postgres ends every connection at once: one line per lost connection, no more.
    onConnectionError: (err) => logger.warn({ err: { message: err.message, code: (err as { code?: unknown }).code } }, "postgres connection lost; the pool opens a new one"),
  });
  const applied = await definition.migrate(pool);
  if (applied.length > 0) logger.info({ applied }, "migrations applied");

  const { redis, outage: redisOutage, connected } = createRedisClient(config.REDIS_URL, { logger, metrics, commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS });
  // A moment for the first connection; without Redis the service starts all the same.
  await connected(2_000);
  const kafka = createKafka({ brokers: parseBrokers(config.KAFKA_BROKERS), clientId: name }, logger);
  const prefixed = (topics: readonly string[]) => topics.map((topic) => `${config.KAFKA_TOPIC_PREFIX}${topic}`);
  // The broker's outages: one log line each, dependency_up{dependency="kafka"}; never unready.
  const brokerOutage = new OutageLog({
    dependency: "kafka",
    logger,
    metrics,
    probeEveryMs: 5_000,
    meanwhile: "writes wait in the outbox and are published once it answers; events from other services arrive then",
  });

  // What the service itself needs to answer: its database. Redis is an index and a counter store
  // (while it is down, rate limiting is off and positions come from Postgres), and the broker
  // carries events after the fact (writes wait in the outbox): their outages show as
  // dependency_up{dependency="redis"|"kafka"} 0 and one log line each, not as the API going
  // unready, which would take a whole fleet out of its load balancer for want of a broker.
  const readiness: ReadinessCheck[] = [{ name: "postgres", check: async () => void (await pool.query("SELECT 1")) }];
  // A worker is ready once every worker listens (ListeningWorkers says why).
  if (clustered) {
    const listening = allWorkersListening();
    readiness.push({
      name: "workers",
      check: async () => {
        if (!listening()) throw new Error("not every worker listens yet: connections made now would all go to the ones that do");
      },
    });
  }
  const context: ServiceContext<C> = {
    config,
    logger,
    metrics,
    pool,
    redis,
    redisOutage,
    kafka,
    clock,
    siblings: clustered ? workerSiblings() : noSiblings,
    app: {
      logger,
      auth,
      metrics,
      ...(clustered && { metricsText: workerMetrics(metrics) }),
      redis,
      redisOutage,
      readiness,
      rateLimit: { max: config.RATE_LIMIT_PER_MINUTE },
      corsOrigins: config.CORS_ORIGINS,
      timeouts: { handlerMs: config.HTTP_HANDLER_TIMEOUT_MS, requestMs: config.HTTP_REQUEST_TIMEOUT_MS, connectionMs: config.HTTP_CONNECTION_TIMEOUT_MS },
      ...httpEdgeFrom(config),
      overload: {
        ...(config.OVERLOAD_MAX_IN_FLIGHT !== undefined && { maxInFlight: config.OVERLOAD_MAX_IN_FLIGHT }),
        ...(config.OVERLOAD_MAX_EVENT_LOOP_DELAY_MS !== undefined && { maxEventLoopDelayMs: config.OVERLOAD_MAX_EVENT_LOOP_DELAY_MS }),
        retryAfterSeconds: config.OVERLOAD_RETRY_AFTER_S,
      },
    },
  };
  // Without `shared` the definition's S is `undefined` (the default), so this is what it expects.
  const shared = definition.shared ? await definition.shared(context) : (undefined as S);
  const app = await definition.buildApp(context, shared);

  const consumer =
    definition.topics.consumed.length > 0
      ? new ConsumerRunner({
          kafka,
          pool,
          logger,
          metrics,
          groupId: `${config.KAFKA_TOPIC_PREFIX}${name}`,
          topics: prefixed(definition.topics.consumed),
          handlers: definition.handlers(context, shared),
          batch: definition.batchHandler?.(context, shared),
          ...(definition.partitionsConsumedConcurrently !== undefined && { partitionsConsumedConcurrently: definition.partitionsConsumedConcurrently }),
          ...(config.KAFKA_FAST_CONSUMERS && fastConsumerSettings),
        })
      : undefined;
  // A service that publishes nothing (the portal) has no outbox to relay.
  const relay =
    definition.topics.published.length > 0
      ? new OutboxRelay({ pool, kafka, logger, metrics, topicPrefix: config.KAFKA_TOPIC_PREFIX, outage: brokerOutage })
      : undefined;
  // Topics, then consumers and the relay, as soon as the broker answers: at once when it does
  // (the service listens once they run, as before, up to KAFKA_START_WAIT_MS), in the background
  // when it does not, so that the service starts, answers and takes writes into its outbox while
  // the broker is down, and consumes and publishes when it returns.
  let stopping = false;
  const messaging = (async () => {
    // Nothing to publish or consume (the portal): no broker to wait for.
    if (!consumer && !relay) return;
    for (let failures = 0; !stopping; failures++) {
      try {
        await provisionTopics(kafka, definition, config);
        brokerOutage.answered();
        break;
      } catch (error) {
        brokerOutage.failed(error);
        await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 200 * 2 ** Math.min(failures, 5))));
      }
    }
    if (stopping) return;
    await Promise.all([consumer?.startInBackground(brokerOutage), relay?.start()]);
  })();
  let waited: NodeJS.Timeout | undefined;
  await Promise.race([messaging, new Promise((resolve) => (waited = setTimeout(resolve, config.KAFKA_START_WAIT_MS)))]);
  clearTimeout(waited);
  const own = (await definition.start?.(context, shared)) ?? [];
  // Jobs stop before what they use (the steps of `start`, consumers, pools).
  const jobs = (definition.jobs?.(context, shared) ?? []).map((job) => startJob(job, logger));
  await app.listen({ host: config.HOST, port: config.PORT });

  closeOnSignals(app, [
    ...jobs,
    ...own,
    { name: "messaging start", run: async () => void (stopping = true) },
    ...(consumer ? [{ name: "consumer", run: () => consumer.stop() }] : []),
    ...(relay ? [{
      name: "relay",
      run: async () => {
        // Publish what was committed before the server closed; what is left waits for the next start.
        await relay.drain(5_000).catch((err: unknown) => logger.warn({ err }, "outbox not drained before shutdown"));
        await relay.stop();
      },
    }] : []),
    ...(definition.close?.(context, shared) ?? []),
    { name: "redis", run: async () => void (await redis.quit()) },
    { name: "postgres", run: () => pool.end() },
    // A worker's channel to the primary (it listens there for metrics and siblings) would keep it alive.
    ...(clustered ? [{ name: "cluster", run: async () => void cluster.worker?.disconnect() }] : []),
  ]);
}

/** The service's database created when missing and migrated, over one connection of its own; returns the migrations applied. */
async function migrateDatabase<C extends ServiceConfig>(definition: Pick<ServiceDefinition<C>, "name" | "migrate">, config: C, database: string): Promise<string[]> {
  await ensureDatabase(config.DATABASE_URL, database);
  const pool = createPool({ connectionString: withDatabase(config.DATABASE_URL, database), max: 1, applicationName: definition.name });
  try {
    return await definition.migrate(pool);
  } finally {
    await pool.end();
  }
}

/** The topics the service publishes to and consumes, created when missing (with their dead-letter twins). */
async function provisionTopics<C extends ServiceConfig>(kafka: Kafka, definition: Pick<ServiceDefinition<C>, "topics">, config: C): Promise<void> {
  const partitions = definition.topics.partitions ?? config.TOPIC_PARTITIONS;
  const topics = new Set([...definition.topics.published, ...definition.topics.consumed].map((topic) => `${config.KAFKA_TOPIC_PREFIX}${topic}`));
  await ensureTopics(kafka, [...topics].map((topic) => ({ topic, partitions })));
}
