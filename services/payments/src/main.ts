// Composition root of payments: the only file that reads the environment or opens connections
// (through runService: config -> database -> Kafka -> app -> consumers -> relay -> jobs -> listen,
// and the reverse on SIGTERM).
import { runService } from "@kruzhok/service";
import { buildPaymentsApp } from "./app";
import { PaymentsConfig } from "./config";
import { eventHandlers } from "./messaging/handlers";
import { consumedTopics, publishedTopics } from "./messaging/topics";
import { migratePayments } from "./migrations";

await runService({
  name: "payments",
  config: PaymentsConfig,
  migrate: migratePayments,
  topics: { published: publishedTopics, consumed: consumedTopics },
  buildApp: ({ app, pool, clock }) => buildPaymentsApp({ ...app, pool, clock }),
  handlers: ({ pool, clock }) => eventHandlers({ pool, clock }),
});
