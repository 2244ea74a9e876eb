import { buildApp, type HttpApp, type ServiceAppOptions } from "@kruzhok/http";
import type { StatisticsAppDeps } from "./deps";
import { statisticsRoutes } from "./http/statistics";

/** What each tag of the OpenAPI document groups, for the reader of /docs. */
export const statisticsTags: Readonly<Record<string, string>> = {
  statistics: "Aggregated indicators by municipality and region, small cells suppressed: cells, exports, the monthly report, a live stream",
};

export type StatisticsAppOptions = ServiceAppOptions & StatisticsAppDeps;

/** Statistics' HTTP app; never listens (main.ts does, tests use inject). */
export async function buildStatisticsApp(options: StatisticsAppOptions): Promise<HttpApp> {
  const { pool, clock, pseudonymKey, minCell, changeFeed, ...http } = options;
  const app = await buildApp({ ...http, service: "statistics", version: "1.0.0", openapi: { port: 3006, tags: statisticsTags } });
  // Live streams would hold the server open: they end before it closes.
  app.addHook("preClose", (done) => {
    changeFeed.endStreams();
    done();
  });
  await app.register(statisticsRoutes, { pool, clock, pseudonymKey, minCell, changeFeed });
  return app;
}
