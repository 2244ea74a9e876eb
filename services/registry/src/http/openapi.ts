import { describingDeps, openApiText } from "@kruzhok/http";
import { buildRegistryApp } from "../app";
/**
 * This service's OpenAPI document (the committed `services/registry/openapi.json`), built from the
 * routes alone: the app is built with dependencies that never connect (describingDeps), since
 * describing a route queries nothing. `npm run generate` writes it; test/openapi checks it.
 */
export async function openApiDocument(): Promise<string> {
  const deps = describingDeps("registry");
  try {
    return await openApiText(await buildRegistryApp({ pool: deps.pool, clock: deps.clock, logger: deps.logger, metrics: deps.metrics, auth: deps.auth }));
  } finally {
    await deps.close();
  }
}
