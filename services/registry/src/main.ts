// Composition root of the registry: the only file that reads the environment or opens
// connections (through runService: config -> database -> Redis, Kafka -> app -> consumers ->
// relay -> listen, and the reverse on SIGTERM).
import { runService } from "@kruzhok/service";
import { buildRegistryApp } from "./app";
import { RegistryConfig } from "./config";
import { eventHandlers, notificationChannels } from "./messaging/handlers";
import { consumedTopics, publishedTopics } from "./messaging/topics";
import { migrateRegistry } from "./migrations";
import { sweepCategoryEndings } from "./usecases/categories";
import { processChildImports } from "./usecases/child-imports";
import { sweepCertificateEnds } from "./usecases/lifecycle";
import { announceYearSettings } from "./usecases/municipalities";

await runService({
  name: "registry",
  config: RegistryConfig,
  migrate: migrateRegistry,
  topics: { published: publishedTopics, consumed: consumedTopics },
  // The notification channels, one set per process: its handlers deliver through them, and they
  // are closed once the consumers have stopped (a mail channel's pooled connections, left open,
  // kept the process alive after SIGTERM until the relay dropped them).
  shared: ({ config, logger }) => {
    const channels = notificationChannels(config);
    logger.info({ channels: channels.map((c) => c.name) }, channels.length > 0 ? "notification channels on" : "no notification channel configured");
    return { channels };
  },
  buildApp: ({ pool, clock, app }) => buildRegistryApp({ ...app, pool, clock }),
  handlers: ({ pool, clock }, { channels }) => eventHandlers({ pool, clock, channels }),
  close: (_context, { channels }) => channels.map((channel) => ({ name: `${channel.name} channel`, run: async () => channel.close?.() })),
  jobs: ({ pool, clock, config }) => [
    { name: "category endings", intervalMs: config.CATEGORY_SWEEP_INTERVAL_MS, run: () => sweepCategoryEndings({ pool, clock }) },
    { name: "certificates at 18", intervalMs: config.CATEGORY_SWEEP_INTERVAL_MS, run: () => sweepCertificateEnds({ pool, clock }) },
    // A year's settings dated later than the day they were saved are announced on their date.
    { name: "year settings due", intervalMs: 60_000, run: () => announceYearSettings({ pool, clock }) },
    { name: "child imports", intervalMs: config.CHILD_IMPORT_INTERVAL_MS, run: () => processChildImports({ pool, clock }) },
  ],
});
