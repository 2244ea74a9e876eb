import { buildApp, type HttpApp, type ServiceAppOptions } from "@kruzhok/http";
import type { StatisticsAppDeps } from "./deps";
import { statisticsRoutes } from "./http/statistics";

export type StatisticsAppOptions = ServiceAppOptions & StatisticsAppDeps;

/** Statistics' HTTP app; never listens (main.ts does, tests use inject). */
export async function buildStatisticsApp(options: StatisticsAppOptions): Promise<HttpApp> {
  const { pool, clock, pseudonymKey, minCell, changeFeed, ...http } = options;
  const app = await buildApp({ ...http, service: "statistics", version: "1.0.0" });
  // Live streams would hold the server open: they end before it closes.
  app.addHook("preClose", (done) => {
    changeFeed.endStreams();
    done();
  });
  await app.register(statisticsRoutes, { pool, clock, pseudonymKey, minCell, changeFeed });
  return app;
}
