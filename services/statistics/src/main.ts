// Composition root of statistics: the only file that reads the environment or opens
// connections (through runService: config -> database -> Redis, Kafka -> app -> consumers ->
// relay -> listen, and the reverse on SIGTERM).
import { runService } from "@kruzhok/service";
import { buildStatisticsApp } from "./app";
import { StatisticsConfig } from "./config";
import { batchHandler, eventHandlers } from "./messaging/handlers";
import { consumedTopics, publishedTopics } from "./messaging/topics";
import { migrateStatistics } from "./migrations";
import { ChangeFeed } from "./store/change-feed";
import { BlockThread } from "./workers/blocks";
import { publisher } from "./usecases/publish";

await runService({
  name: "statistics",
  config: StatisticsConfig,
  migrate: migrateStatistics,
  topics: { published: publishedTopics, consumed: consumedTopics },
  // One feed of published changes per process: the live streams follow it. One thread computes the publisher's blocks.
  shared: ({ pool, logger }) => ({ changeFeed: new ChangeFeed(pool, logger), blocks: new BlockThread(logger) }),
  // The report as of a date computes its block on the same thread as the publisher, not on the one that serves requests and consumes.
  buildApp: ({ app, pool, clock, config }, { changeFeed, blocks }) =>
    buildStatisticsApp({
      ...app,
      pool,
      clock,
      changeFeed,
      pseudonymKey: config.STATISTICS_PSEUDONYM_KEY,
      minCell: config.STATISTICS_MIN_CELL,
      computeBlock: (input) => blocks.compute(input),
    }),
  handlers: ({ pool, clock, config }) => eventHandlers({ pool, clock, pseudonymKey: config.STATISTICS_PSEUDONYM_KEY, minCell: config.STATISTICS_MIN_CELL }),
  // Batch mode: the events of each fetch of a partition recorded in one transaction (issue 16's rates).
  batchHandler: ({ pool, clock, config }) =>
    config.STATISTICS_CONSUMER_BATCH ? batchHandler({ pool, clock, pseudonymKey: config.STATISTICS_PSEUDONYM_KEY, minCell: config.STATISTICS_MIN_CELL }) : undefined,
  // Statistics reads five topics (30 partitions at 6 each): handled 3 at a time, the last batch of
  // a fetch waited 0.6 s for the others at 5,000 events/s (median age of a batch's oldest event
  // when its handling began; BENCHMARKS.md, issue #16). Six at a time, with batches of at most 500
  // events (messaging/handlers batchHandler), keep the subjects' locks of the batches in flight
  // (~1.3 an event at most) under Postgres's lock table (64 a connection, 6,400 on this machine).
  partitionsConsumedConcurrently: 6,
  // The publisher: the blocks the consumers changed, recomputed and published once a round.
  jobs: ({ pool, clock, config }, { blocks }) => [
    {
      name: "publish aggregates",
      intervalMs: config.STATISTICS_PUBLISH_INTERVAL_MS,
      run: publisher({ pool, clock, pseudonymKey: config.STATISTICS_PSEUDONYM_KEY, minCell: config.STATISTICS_MIN_CELL, computeBlock: (input) => blocks.compute(input) }),
    },
  ],
  start: async (_context, { changeFeed, blocks }) => {
    await changeFeed.start();
    return [
      { name: "change feed", run: () => changeFeed.stop() },
      { name: "block thread", run: () => blocks.close() },
    ];
  },
});
