import { describingDeps, openApiText } from "@kruzhok/http";
import { buildStatisticsApp } from "../app";
import { DEV_PSEUDONYM_KEY } from "../config";
import { ChangeFeed } from "../store/change-feed";
/**
 * This service's OpenAPI document (the committed `services/statistics/openapi.json`), built from the
 * routes alone: the app is built with dependencies that never connect (describingDeps), since
 * describing a route queries nothing. `npm run generate` writes it; test/openapi checks it.
 */
export async function openApiDocument(): Promise<string> {
  const deps = describingDeps("statistics");
  try {
    // The feed is never started: no stream is opened while describing.
    const changeFeed = new ChangeFeed(deps.pool, deps.logger);
    return await openApiText(
      await buildStatisticsApp({ pool: deps.pool, clock: deps.clock, changeFeed, logger: deps.logger, metrics: deps.metrics, auth: deps.auth, pseudonymKey: DEV_PSEUDONYM_KEY, minCell: 10 }),
    );
  } finally {
    await deps.close();
  }
}
