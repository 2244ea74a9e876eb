import { parseBrokers } from "@kruzhok/messaging";

/** Where the benchmarks find Postgres (an admin connection), Redis and Kafka. */
export interface BenchEnv {
  databaseUrl: string;
  redisUrl: string;
  kafkaBrokers: string[];
}

const LOOPBACK = "127.0.0.1";

/**
 * The same variables `deploy/local/up` prints, with its defaults. Benchmarks generate heavy
 * load and create and drop databases, so anything but 127.0.0.1 is refused.
 */
export function benchEnv(env: NodeJS.ProcessEnv = process.env): BenchEnv {
  const databaseUrl = env.DATABASE_URL ?? `postgres://postgres@${LOOPBACK}:5432/postgres`;
  const redisUrl = env.REDIS_URL ?? `redis://${LOOPBACK}:6379`;
  const kafkaBrokers = parseBrokers(env.KAFKA_BROKERS ?? `${LOOPBACK}:9092`);
  for (const url of [databaseUrl, redisUrl]) {
    if (new URL(url).hostname !== LOOPBACK) throw new Error(`benchmarks run against ${LOOPBACK} only, not ${url}`);
  }
  for (const broker of kafkaBrokers) {
    if (!broker.startsWith(`${LOOPBACK}:`)) throw new Error(`benchmarks run against ${LOOPBACK} only, not ${broker}`);
  }
  return { databaseUrl, redisUrl, kafkaBrokers };
}

/** Connection settings of a postgres:// URL, as the libpq tools (pgbench, psql) take them. */
export function libpqArgs(databaseUrl: string): string[] {
  const url = new URL(databaseUrl);
  return ["-h", url.hostname, "-p", url.port || "5432", "-U", decodeURIComponent(url.username || "postgres")];
}

/** Host and port of a redis:// URL, as redis-cli and redis-benchmark take them. */
export function redisArgs(redisUrl: string): string[] {
  const url = new URL(redisUrl);
  return ["-h", url.hostname, "-p", url.port || "6379"];
}
