import cluster from "node:cluster";
import { Redis } from "ioredis";
import type { z } from "zod";
import { ConfigError, parseConfig, type ServiceConfig } from "@kruzhok/config";
import { closeOnSignals, type AppOptions, type AuthConfig, type HttpApp, type OverloadOptions, type ReadinessCheck, type ShutdownStep } from "@kruzhok/http";
import { ConsumerRunner, OutboxRelay, createKafka, ensureTopics, kafkaReadiness, parseBrokers, type BatchHandler, type EventHandler, type Kafka, fastConsumerSettings } from "@kruzhok/messaging";
import { createLogger, createMetricsRegistry, workerMetrics, type Logger, type Registry } from "@kruzhok/observability";
import { createPool, ensureDatabase, withDatabase, type Pool } from "@kruzhok/postgres";
import { noSiblings, superviseWorkers, workerSiblings, type Siblings } from "./cluster";
import { startJob, type PeriodicJob } from "./jobs";
import { authConfigFrom, describeAuth, httpEdgeFrom } from "./settings";

export { noSiblings, type Siblings } from "./cluster";
export { startJob, type PeriodicJob } from "./jobs";
export { authConfigFrom, describeAuth, httpEdgeFrom, isLoopbackHost } from "./settings";

/** What a service's builders get: the connections its main.ts opened, once. */
export interface ServiceContext<C extends ServiceConfig = ServiceConfig> {
  config: C;
  logger: Logger;
  metrics: Registry;
  pool: Pool;
  redis: Redis;
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
    readiness: ReadinessCheck[];
    rateLimit: { max: number };
    corsOrigins: readonly string[];
    overload: OverloadOptions;
  } & Pick<AppOptions, "trustProxy" | "access">;
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
  /** Work of the service's own once its consumers and relay run (a Redis rebuild); returns steps for shutdown. */
  start?: (context: ServiceContext<C>, shared: S) => Promise<ShutdownStep[]>;
  /** Work done every so often (sweeps, syncs, checks): started after `start`, stopped first on shutdown. */
  jobs?: (context: ServiceContext<C>, shared: S) => readonly PeriodicJob[];
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
  try {
    config = parseConfig(definition.config);
    auth = authConfigFrom(config);
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
  if (config.WORKERS > 1 && cluster.isPrimary) {
    // The database is made ready once, here; each worker is then the whole service, a replica.
    await ensureDatabase(config.DATABASE_URL, database);
    const pool = createPool({ connectionString: withDatabase(config.DATABASE_URL, database), max: 1, applicationName: name });
    try {
      const applied = await definition.migrate(pool);
      if (applied.length > 0) logger.info({ applied }, "migrations applied");
    } finally {
      await pool.end();
    }
    // And the topics: workers that start together would race to create them.
    await provisionTopics(createKafka({ brokers: parseBrokers(config.KAFKA_BROKERS), clientId: name }, logger), definition, config);
    superviseWorkers(config.WORKERS, logger);
    return;
  }
  const metrics = createMetricsRegistry(name);
  const clustered = cluster.isWorker;
  await ensureDatabase(config.DATABASE_URL, database);
  const pool = createPool({ connectionString: withDatabase(config.DATABASE_URL, database), max: 20, applicationName: name });
  const applied = await definition.migrate(pool);
  if (applied.length > 0) logger.info({ applied }, "migrations applied");

  // Auto-pipelining: the commands issued in one turn of the event loop (every request's rate-limit
  // count, queue lookups) leave in one write, where each would cost a syscall of its own.
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2, enableOfflineQueue: false, enableAutoPipelining: true });
  redis.on("error", (err) => logger.warn({ err }, "redis connection error"));
  const kafka = createKafka({ brokers: parseBrokers(config.KAFKA_BROKERS), clientId: name }, logger);
  const prefixed = (topics: readonly string[]) => topics.map((topic) => `${config.KAFKA_TOPIC_PREFIX}${topic}`);
  await provisionTopics(kafka, definition, config);

  const readiness: ReadinessCheck[] = [
    { name: "postgres", check: async () => void (await pool.query("SELECT 1")) },
    { name: "redis", check: async () => void (await redis.ping()) },
    kafkaReadiness(kafka),
  ];
  const context: ServiceContext<C> = {
    config,
    logger,
    metrics,
    pool,
    redis,
    kafka,
    clock: () => new Date(),
    siblings: clustered ? workerSiblings() : noSiblings,
    app: {
      logger,
      auth,
      metrics,
      ...(clustered && { metricsText: workerMetrics(metrics) }),
      redis,
      readiness,
      rateLimit: { max: config.RATE_LIMIT_PER_MINUTE },
      corsOrigins: config.CORS_ORIGINS,
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
          ...(config.KAFKA_FAST_CONSUMERS && fastConsumerSettings),
        })
      : undefined;
  const relay = new OutboxRelay({ pool, kafka, logger, metrics, topicPrefix: config.KAFKA_TOPIC_PREFIX });
  await consumer?.start();
  await relay.start();
  const own = (await definition.start?.(context, shared)) ?? [];
  // Jobs stop before what they use (the steps of `start`, consumers, pools).
  const jobs = (definition.jobs?.(context, shared) ?? []).map((job) => startJob(job, logger));
  await app.listen({ host: config.HOST, port: config.PORT });

  closeOnSignals(app, [
    ...jobs,
    ...own,
    ...(consumer ? [{ name: "consumer", run: () => consumer.stop() }] : []),
    {
      name: "relay",
      run: async () => {
        // Publish what was committed before the server closed; what is left waits for the next start.
        await relay.drain(5_000).catch((err: unknown) => logger.warn({ err }, "outbox not drained before shutdown"));
        await relay.stop();
      },
    },
    { name: "redis", run: async () => void (await redis.quit()) },
    { name: "postgres", run: () => pool.end() },
    // A worker's channel to the primary (it listens there for metrics and siblings) would keep it alive.
    ...(clustered ? [{ name: "cluster", run: async () => void cluster.worker?.disconnect() }] : []),
  ]);
}

/** The topics the service publishes to and consumes, created when missing (with their dead-letter twins). */
async function provisionTopics<C extends ServiceConfig>(kafka: Kafka, definition: Pick<ServiceDefinition<C>, "topics">, config: C): Promise<void> {
  const partitions = definition.topics.partitions ?? config.TOPIC_PARTITIONS;
  const topics = new Set([...definition.topics.published, ...definition.topics.consumed].map((topic) => `${config.KAFKA_TOPIC_PREFIX}${topic}`));
  await ensureTopics(kafka, [...topics].map((topic) => ({ topic, partitions })));
}
