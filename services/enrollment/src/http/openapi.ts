import { describingDeps, openApiText } from "@kruzhok/http";
import { buildEnrollmentApp } from "../app";
import { QueueIndex } from "../store/queue-index";
import { PositionLookups } from "../usecases/positions";
/**
 * This service's OpenAPI document (the committed `services/enrollment/openapi.json`), built from the
 * routes alone: the app is built with dependencies that never connect (describingDeps), since
 * describing a route queries nothing. `npm run generate` writes it; test/openapi checks it.
 */
export async function openApiDocument(): Promise<string> {
  const deps = describingDeps("enrollment");
  try {
    const queues = new QueueIndex(deps.redis, "openapi");
    const positions = new PositionLookups(deps.pool, queues);
    return await openApiText(await buildEnrollmentApp({ pool: deps.pool, clock: deps.clock, queues, positions, logger: deps.logger, metrics: deps.metrics, auth: deps.auth }));
  } finally {
    await deps.close();
  }
}
