// Composition root of enrollment: the only file that reads the environment or opens
// connections (through runService: config -> database -> Redis, Kafka -> app -> consumers ->
// relay -> listen, and the reverse on SIGTERM). Its own work: the Redis queue index is rebuilt
// from Postgres at start, changed queues are copied over continually, the checker compares
// (and repairs) now and then, and the sweep expires offers, moves overdue reviews on and completes
// the enrollments of closed groups whose end date is over.
import { setFlagsFromString } from "node:v8";
import { runService } from "@kruzhok/service";
import { buildEnrollmentApp } from "./app";
import { EnrollmentConfig } from "./config";
import { eventHandlers } from "./messaging/handlers";
import { consumedTopics, publishedTopics } from "./messaging/topics";
import { migrateEnrollment } from "./migrations";
import { QueueIndex, checkQueues, syncDirtyGroups, syncGroup } from "./store/queue-index";
import { startQueueIndex } from "./usecases/indexing";
import { PositionLookups } from "./usecases/positions";
import { sweep } from "./usecases/sweeps";

// V8's allocation-site pretenuring off, here and not on the command line, so that every way of
// starting the service has it (npm start, the benchmarks, the image's plain `node`; NODE_OPTIONS
// does not take the flag): after an opening-day surge V8 had pretenured the request path's
// allocation sites in the worker that did the surge's work, and from then on its scavenges kept
// ~17 % of all it allocated, pauses of 15-40 ms (BENCHMARKS.md, 2026-12-06). V8 reads the flag
// each time a scavenge would collect pretenuring feedback, so it holds from here on.
setFlagsFromString("--no-allocation-site-pretenuring");

await runService({
  name: "enrollment",
  config: EnrollmentConfig,
  migrate: migrateEnrollment,
  topics: { published: publishedTopics, consumed: consumedTopics },
  // One queue index for the routes, the rebuild and the jobs of this process; one position
  // lookup cache for the routes that answer from it and the consumers that tell it of changes.
  shared: ({ pool, redis, redisOutage, config, siblings }) => {
    const queues = new QueueIndex(redis, config.REDIS_KEY_PREFIX, redisOutage);
    return { queues, positions: new PositionLookups(pool, queues, { siblings, smallCellThreshold: config.QUEUE_SMALL_CELL_THRESHOLD }) };
  },
  buildApp: ({ pool, clock, app, siblings, config }, { queues, positions }) =>
    buildEnrollmentApp({
      ...app,
      pool,
      clock,
      siblings,
      queues,
      positions,
      positionStreams: { coalesceMs: config.POSITION_STREAM_COALESCE_MS, maxStreams: config.POSITION_STREAM_MAX },
      positionAccessLogOneIn: config.POSITION_ACCESS_LOG_ONE_IN,
    }),
  handlers: ({ clock }, { positions }) => eventHandlers({ clock, positions }),
  start: async ({ pool, logger }, { queues }) => {
    await startQueueIndex({ pool, queues, log: logger });
    return [];
  },
  jobs: ({ pool, clock, config, logger }, { queues }) => [
    {
      name: "queue sync",
      intervalMs: config.QUEUE_SYNC_INTERVAL_MS,
      // While Redis is down the changed groups wait (the outage was told in its one line); they are copied once it answers.
      run: async () => {
        try {
          return await syncDirtyGroups(pool, queues);
        } catch (error) {
          if (queues.told(error)) return 0;
          throw error;
        }
      },
    },
    {
      name: "sweep",
      intervalMs: config.SWEEP_INTERVAL_MS,
      run: async () => {
        const result = await sweep(pool, clock());
        if (result.expiredOffers + result.autoConfirmed + result.completedEnrollments + result.drawnCampaigns + result.reranked > 0) logger.info(result, "sweep");
      },
    },
    {
      name: "queue check",
      intervalMs: config.QUEUE_CHECK_INTERVAL_MS,
      run: async () => {
        const checked = await checkQueues(pool, queues);
        for (const mismatch of checked.mismatches) {
          logger.warn(mismatch, "queue index differs from Postgres; copying the group again");
          await syncGroup(pool, queues, mismatch.groupId);
        }
      },
    },
  ],
});
