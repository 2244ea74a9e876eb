import { AccessSample, buildApp, type HttpApp, type ServiceAppOptions } from "@kruzhok/http";
import { createMetricsRegistry } from "@kruzhok/observability";
import type { EnrollmentDeps, EnrollmentRouteDeps } from "./deps";
import { applicationRoutes } from "./http/applications";
import { campaignRoutes } from "./http/campaigns";
import { enrollmentRoutes } from "./http/enrollments";
import { offerRoutes } from "./http/offers";
import { positionStreamRoutes } from "./http/position-stream";
import { providerDeskRoutes } from "./http/provider-desk";
import { queueRoutes } from "./http/queues";
import { settingsRoutes } from "./http/settings";
import { PositionWatch } from "./usecases/position-watch";

/** What each tag of the OpenAPI document groups, for the reader of /docs. */
export const enrollmentTags: Readonly<Record<string, string>> = {
  applications: "Applications of children to groups and their place in the queue",
  campaigns: "Allocation campaigns: ranked choices, a committed lottery seed, the draw",
  enrollments: "Contracts signed and enrollments, moves and endings",
  "municipality settings": "A municipality's holiday calendar and notice thresholds, versioned from a date",
  offers: "Seats offered to the head of a queue: accepted, declined, expired",
  "provider desk": "A provider's review of applications and its groups' queues",
  queues: "The Redis queue index: rebuilt and checked against Postgres",
};

export type EnrollmentAppOptions = ServiceAppOptions &
  EnrollmentDeps & {
    /** Position streams (config POSITION_STREAM_*): how long a group's changes are gathered, how many streams one process holds. */
    positionStreams?: { coalesceMs?: number; maxStreams?: number };
    /** Successful, quick position lookups: one access line in this many (config POSITION_ACCESS_LOG_ONE_IN; 1, every one, when not given). */
    positionAccessLogOneIn?: number;
  };

/** A position lookup slower than this always leaves its access line: the lookups' latency goal (p99, BENCHMARKS.md). */
const SLOW_POSITION_LOOKUP_MS = 10;

/** Enrollment's HTTP app; never listens (main.ts does, tests use inject). */
export async function buildEnrollmentApp(options: EnrollmentAppOptions): Promise<HttpApp> {
  const { pool, clock, queues, siblings, positions, positionStreams, positionAccessLogOneIn = 1, ...http } = options;
  // The app's metrics are the route plugins' too (the submissions in flight).
  const metrics = http.metrics ?? createMetricsRegistry("enrollment");
  const app = await buildApp({ ...http, metrics, service: "enrollment", version: "1.0.0", openapi: { port: 3003, tags: enrollmentTags }, idempotency: { pool } });
  const deps: EnrollmentRouteDeps = { pool, clock, queues, positions, metrics, ...(siblings && { siblings }) };
  await app.register(applicationRoutes, { ...deps, positionAccess: new AccessSample(positionAccessLogOneIn, SLOW_POSITION_LOOKUP_MS) });
  // The app's open position streams, told of queue changes by Redis (PositionWatch).
  const watch = new PositionWatch(queues.redis, queues.changesChannel, app.log, { coalesceMs: positionStreams?.coalesceMs, maxWatchers: positionStreams?.maxStreams });
  await app.register(positionStreamRoutes, { ...deps, watch });
  // The lookups keep the position script's answers while they hear every change (PositionLookups).
  app.addHook("onReady", async () => watch.listen(positions));
  await app.register(offerRoutes, deps);
  await app.register(enrollmentRoutes, deps);
  await app.register(queueRoutes, deps);
  await app.register(providerDeskRoutes, deps);
  await app.register(campaignRoutes, deps);
  await app.register(settingsRoutes, deps);
  return app;
}
