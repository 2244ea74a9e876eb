// Composition root of the catalogue: the only file that reads the environment or opens
// connections (through runService: config -> database -> Redis, Kafka -> app -> consumers ->
// relay -> listen, and the reverse on SIGTERM).
import { runService } from "@kruzhok/service";
import { buildCatalogueApp } from "./app";
import { CatalogueConfig } from "./config";
import { catalogueHandlers } from "./messaging/handlers";
import { consumedTopics, publishedTopics } from "./messaging/topics";
import { migrateCatalogue } from "./migrations";

await runService({
  name: "catalogue",
  config: CatalogueConfig,
  migrate: migrateCatalogue,
  topics: { published: publishedTopics, consumed: consumedTopics },
  buildApp: ({ pool, clock, app }) => buildCatalogueApp({ ...app, pool, clock }),
  handlers: ({ pool, clock }) => catalogueHandlers({ pool, clock }),
});
