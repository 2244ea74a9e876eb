// Composition root of the catalogue: config -> pools -> app -> consumers -> relay -> listen.
// The only file that reads the environment or opens connections.
import { Redis } from "ioredis";
import { ConfigError, parseConfig } from "@kruzhok/config";
import { DEV_AUTH_SECRET, closeOnSignals, type AuthConfig } from "@kruzhok/http";
import { ConsumerRunner, OutboxRelay, createKafka, ensureTopics, parseBrokers } from "@kruzhok/messaging";
import { createLogger, createMetricsRegistry } from "@kruzhok/observability";
import { createPool, ensureDatabase, withDatabase } from "@kruzhok/postgres";
import { buildCatalogueApp } from "./app";
import { CatalogueConfig } from "./config";
import { catalogueHandlers } from "./messaging/handlers";
import { consumedTopics, consumerGroup, publishedTopics } from "./messaging/topics";
import { migrateCatalogue } from "./migrations";

let config: CatalogueConfig;
try {
  config = parseConfig(CatalogueConfig);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`catalogue: ${error.message}\n`);
  process.exit(1);
}

const logger = createLogger({ service: "catalogue", level: config.LOG_LEVEL });
const metrics = createMetricsRegistry("catalogue");

function authConfig(): AuthConfig {
  if (config.AUTH_JWKS_URL) {
    if (!config.AUTH_ISSUER || !config.AUTH_AUDIENCE) {
      process.stderr.write("catalogue: config: AUTH_ISSUER and AUTH_AUDIENCE are required with AUTH_JWKS_URL\n");
      process.exit(1);
    }
    return { mode: "oidc", jwksUrl: config.AUTH_JWKS_URL, issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE };
  }
  if (config.NODE_ENV === "production" && !config.AUTH_DEV_SECRET) {
    process.stderr.write("catalogue: config: AUTH_JWKS_URL is required in production\n");
    process.exit(1);
  }
  return { mode: "dev", secret: config.AUTH_DEV_SECRET ?? DEV_AUTH_SECRET };
}
const auth = authConfig();

await ensureDatabase(config.DATABASE_URL, config.SERVICE_DATABASE);
const pool = createPool({ connectionString: withDatabase(config.DATABASE_URL, config.SERVICE_DATABASE), max: 20, applicationName: "catalogue" });
const applied = await migrateCatalogue(pool);
if (applied.length > 0) logger.info({ applied }, "migrations applied");

const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2, enableOfflineQueue: false });
redis.on("error", (err) => logger.warn({ err }, "redis connection error"));

const kafka = createKafka({ brokers: parseBrokers(config.KAFKA_BROKERS), clientId: "catalogue" }, logger);
await ensureTopics(kafka, [...publishedTopics, ...consumedTopics].map((topic) => ({ topic, partitions: config.TOPIC_PARTITIONS })));

const clock = () => new Date();
const app = await buildCatalogueApp({
  pool,
  clock,
  logger,
  auth,
  metrics,
  redis,
  rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
  corsOrigins: config.CORS_ORIGINS,
  readiness: [
    { name: "postgres", check: async () => void (await pool.query("SELECT 1")) },
    { name: "redis", check: async () => void (await redis.ping()) },
    { name: "kafka", check: async () => { const admin = kafka.admin(); await admin.connect(); try { await admin.listTopics(); } finally { await admin.disconnect(); } } },
  ],
});

const fast = config.KAFKA_FAST_CONSUMERS;
const consumer = new ConsumerRunner({
  kafka,
  pool,
  logger,
  metrics,
  groupId: consumerGroup,
  topics: consumedTopics,
  handlers: catalogueHandlers({ pool, clock }),
  ...(fast && { sessionTimeout: 6_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 }),
});
const relay = new OutboxRelay({ pool, kafka, logger, metrics });
await consumer.start();
await relay.start();
await app.listen({ host: config.HOST, port: config.PORT });

closeOnSignals(app, [
  { name: "consumer", run: () => consumer.stop() },
  { name: "relay", run: async () => { await relay.drain(5_000).catch(() => undefined); await relay.stop(); } },
  { name: "redis", run: async () => void (await redis.quit()) },
  { name: "postgres", run: () => pool.end() },
]);
