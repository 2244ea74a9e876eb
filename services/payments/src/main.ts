// Composition root of payments: the only file that reads the environment or opens connections
// (through runService: config -> database -> Kafka -> app -> consumers -> relay -> jobs -> listen,
// and the reverse on SIGTERM).
import { runService } from "@kruzhok/service";
import { buildPaymentsApp } from "./app";
import { PaymentsConfig } from "./config";
import { batchHandler, eventHandlers } from "./messaging/handlers";
import { consumedTopics, publishedTopics } from "./messaging/topics";
import { migratePayments } from "./migrations";
import { runNewYear } from "./usecases/new-year";

await runService({
  name: "payments",
  config: PaymentsConfig,
  migrate: migratePayments,
  topics: { published: publishedTopics, consumed: consumedTopics },
  buildApp: ({ app, pool, clock }) => buildPaymentsApp({ ...app, pool, clock }),
  handlers: ({ pool, clock }) => eventHandlers({ pool, clock }),
  batchHandler: ({ pool, clock, config }) => (config.PAYMENTS_CONSUMER_BATCH ? batchHandler({ pool, clock }) : undefined),
  jobs: ({ pool, clock, config, logger }) => [
    {
      name: "new year",
      intervalMs: config.NEW_YEAR_INTERVAL_MS,
      run: async () => {
        const rolled = await runNewYear({ pool, clock });
        if (rolled > 0) logger.info({ rolled }, "certificates rolled into the new year");
      },
    },
  ],
});
