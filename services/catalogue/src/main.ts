// Composition root of the catalogue: the only file that reads the environment or opens
// connections (through runService: config -> database -> Redis, Kafka -> app -> consumers ->
// relay -> listen, and the reverse on SIGTERM).
import { runService, type ServiceContext } from "@kruzhok/service";
import { buildCatalogueApp } from "./app";
import { CatalogueConfig } from "./config";
import { catalogueHandlers } from "./messaging/handlers";
import { consumedTopics, publishedTopics } from "./messaging/topics";
import { migrateCatalogue } from "./migrations";
import { SearchCache } from "./store/search-cache";

// One answer cache for the routes and the consumers (they tell it of their changes); it caches
// only once `start` has its LISTEN connection open, just before the server listens.
let searchCache: SearchCache | undefined;
const cacheOf = ({ metrics, logger }: ServiceContext<CatalogueConfig>) => (searchCache ??= new SearchCache({ metrics, logger }));

await runService({
  name: "catalogue",
  config: CatalogueConfig,
  migrate: migrateCatalogue,
  topics: { published: publishedTopics, consumed: consumedTopics },
  buildApp: (context) => buildCatalogueApp({ ...context.app, pool: context.pool, clock: context.clock, searchCache: cacheOf(context) }),
  handlers: (context) => catalogueHandlers({ pool: context.pool, clock: context.clock, searchCache: cacheOf(context) }),
  start: async (context) => {
    const cache = cacheOf(context);
    await cache.listen(context.pool);
    return [{ name: "search cache", run: () => cache.stop() }];
  },
});
