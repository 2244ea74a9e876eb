import type { Redis } from "ioredis";
import { buildApp, type AuthConfig, type HttpApp, type ReadinessCheck } from "@kruzhok/http";
import type { Logger, Registry } from "@kruzhok/observability";
import type { RegistryDeps } from "./deps";
import { certificatesRoutes } from "./http/certificates";
import { municipalityRoutes } from "./http/municipalities";
import { peopleRoutes } from "./http/people";
import { providersRoutes } from "./http/providers";

export interface RegistryAppOptions extends RegistryDeps {
  logger: Logger;
  auth: AuthConfig;
  metrics?: Registry;
  redis?: Redis;
  readiness?: ReadinessCheck[];
  rateLimitPerMinute?: number;
  corsOrigins?: readonly string[];
}

/** The registry's HTTP app; never listens (main.ts does, tests use inject). */
export async function buildRegistryApp(options: RegistryAppOptions): Promise<HttpApp> {
  const app = await buildApp({
    service: "registry",
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
  const deps: RegistryDeps = { pool: options.pool, clock: options.clock };
  await app.register(municipalityRoutes, deps);
  await app.register(peopleRoutes, deps);
  await app.register(certificatesRoutes, deps);
  await app.register(providersRoutes, deps);
  return app;
}
