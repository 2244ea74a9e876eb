import { Redis } from "ioredis";
import { createLogger, createMetricsRegistry, type Logger, type Registry } from "@kruzhok/observability";
import { createPool, type Pool } from "@kruzhok/postgres";
import { DEV_AUTH_SECRET, type AuthConfig } from "./auth";
import type { HttpApp } from "./app";

/**
 * What a service's app needs to be built only to describe itself (its `openapi.json`), with no
 * Postgres, Redis or Kafka running: a pool and a Redis client that never connect (neither is
 * used until a request comes, and none comes), the development auth mode (verifying nothing),
 * a silent logger. `npm run generate` and the drift test (test/openapi) build the document this
 * way, so that it depends on the code alone.
 */
export interface DescribingDeps {
  logger: Logger;
  metrics: Registry;
  auth: AuthConfig;
  pool: Pool;
  redis: Redis;
  clock: () => Date;
  close: () => Promise<void>;
}

export function describingDeps(service: string): DescribingDeps {
  // `.invalid` (RFC 6761) never resolves: a query by mistake fails instead of reaching a server.
  const pool = createPool({ connectionString: "postgres://describe@openapi.invalid/none", max: 1 });
  const redis = new Redis("redis://openapi.invalid:6379", { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  return {
    logger: createLogger({ service, level: "silent" }),
    metrics: createMetricsRegistry(service, false),
    auth: { mode: "dev", secret: DEV_AUTH_SECRET },
    pool,
    redis,
    clock: () => new Date(0),
    close: async () => {
      redis.disconnect();
      await pool.end();
    },
  };
}

/**
 * The document the app serves at /docs/json, as committed: two-space JSON with a final newline.
 * The app is closed afterwards.
 */
export async function openApiText(app: HttpApp): Promise<string> {
  try {
    const res = await app.inject({ method: "GET", url: "/docs/json" });
    if (res.statusCode !== 200) throw new Error(`/docs/json answered ${res.statusCode}: ${res.body}`);
    return `${JSON.stringify(res.json(), null, 2)}\n`;
  } finally {
    await app.close();
  }
}
