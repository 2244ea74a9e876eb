import { describingDeps, openApiText } from "@kruzhok/http";
import { buildCatalogueApp } from "../app";
import { SearchCache } from "../store/search-cache";
/**
 * This service's OpenAPI document (the committed `services/catalogue/openapi.json`), built from the
 * routes alone: the app is built with dependencies that never connect (describingDeps), since
 * describing a route queries nothing. `npm run generate` writes it; test/openapi checks it.
 */
export async function openApiDocument(): Promise<string> {
  const deps = describingDeps("catalogue");
  try {
    const searchCache = new SearchCache({ metrics: deps.metrics, logger: deps.logger });
    return await openApiText(await buildCatalogueApp({ pool: deps.pool, clock: deps.clock, searchCache, logger: deps.logger, metrics: deps.metrics, auth: deps.auth }));
  } finally {
    await deps.close();
  }
}
