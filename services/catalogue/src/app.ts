import type { Redis } from "ioredis";
import { buildApp, type AuthConfig, type HttpApp, type ReadinessCheck } from "@kruzhok/http";
import type { Logger, Registry } from "@kruzhok/observability";
import type { CatalogueDeps } from "./deps";
import { groupRoutes } from "./http/groups";
import { programRoutes } from "./http/programs";
import { reviewRoutes } from "./http/reviews";
import { searchRoutes } from "./http/search";

export interface CatalogueAppOptions extends CatalogueDeps {
  logger: Logger;
  auth: AuthConfig;
  metrics?: Registry;
  redis?: Redis;
  readiness?: ReadinessCheck[];
  rateLimitPerMinute?: number;
  corsOrigins?: readonly string[];
}

/** The catalogue's HTTP app; never listens (main.ts does, tests use inject). */
export async function buildCatalogueApp(options: CatalogueAppOptions): Promise<HttpApp> {
  const app = await buildApp({
    service: "catalogue",
    version: "1.0.0",
    logger: options.logger,
    auth: options.auth,
    ...(options.metrics && { metrics: options.metrics }),
    ...(options.redis && { redis: options.redis }),
    ...(options.readiness && { readiness: options.readiness }),
    ...(options.rateLimitPerMinute && { rateLimit: { max: options.rateLimitPerMinute } }),
    ...(options.corsOrigins && { corsOrigins: options.corsOrigins }),
    idempotency: { pool: options.pool },
  });
  const deps: CatalogueDeps = { pool: options.pool, clock: options.clock };
  await app.register(programRoutes, deps);
  await app.register(groupRoutes, deps);
  await app.register(reviewRoutes, deps);
  await app.register(searchRoutes, deps);
  return app;
}
