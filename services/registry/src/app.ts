import { buildApp, type HttpApp, type ServiceAppOptions } from "@kruzhok/http";
import type { RegistryDeps } from "./deps";
import { certificatesRoutes } from "./http/certificates";
import { childImportRoutes } from "./http/child-imports";
import { municipalityRoutes } from "./http/municipalities";
import { peopleRoutes } from "./http/people";
import { providersRoutes } from "./http/providers";

export type RegistryAppOptions = ServiceAppOptions & RegistryDeps;

/** The registry's HTTP app; never listens (main.ts does, tests use inject). */
export async function buildRegistryApp(options: RegistryAppOptions): Promise<HttpApp> {
  const { pool, clock, ...http } = options;
  const app = await buildApp({ ...http, service: "registry", version: "1.0.0", idempotency: { pool } });
  const deps: RegistryDeps = { pool, clock };
  await app.register(municipalityRoutes, deps);
  await app.register(peopleRoutes, deps);
  await app.register(certificatesRoutes, deps);
  await app.register(providersRoutes, deps);
  await app.register(childImportRoutes, deps);
  return app;
}
