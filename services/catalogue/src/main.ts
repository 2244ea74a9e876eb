// Composition root of the catalogue: the only file that reads the environment or opens
// connections (through runService: config -> database -> Redis, Kafka -> app -> consumers ->
// relay -> listen, and the reverse on SIGTERM).
import { runService } from "@kruzhok/service";
import { buildCatalogueApp } from "./app";
import { CatalogueConfig } from "./config";
import { eventHandlers } from "./messaging/handlers";
import { consumedTopics, publishedTopics } from "./messaging/topics";
import { migrateCatalogue } from "./migrations";
import { SearchCache } from "./store/search-cache";
import { SearchIndex } from "./store/search-index";
import { sweepCalendar } from "./usecases/lifecycle";

await runService({
  name: "catalogue",
  config: CatalogueConfig,
  migrate: migrateCatalogue,
  topics: { published: publishedTopics, consumed: consumedTopics },
  // One answer cache for the process: search reads through it, and the use cases that routes and
  // consumers call tell it of their changes. It caches only once `start` has its LISTEN
  // connection open, just before the server listens.
  // The index in memory hears of changes through the cache's LISTEN connection, and loads every
  // municipality once it listens, in the background: Postgres answers until then.
  shared: ({ metrics, logger, config }) => {
    const searchCache = new SearchCache({ metrics, logger, maxBytes: config.SEARCH_CACHE_MAX_BYTES });
    return { searchCache, searchIndex: config.SEARCH_INDEX === "on" ? new SearchIndex(searchCache, { metrics, logger }) : undefined };
  },
  buildApp: ({ app, pool, clock }, { searchCache, searchIndex }) => buildCatalogueApp({ ...app, pool, clock, searchCache, searchIndex }),
  handlers: ({ pool, clock }, { searchCache }) => eventHandlers({ pool, clock, searchCache }),
  start: async ({ pool }, { searchCache, searchIndex }) => {
    await searchCache.listen(pool);
    await searchIndex?.start(pool);
    return [
      { name: "search cache", run: () => searchCache.stop() },
      ...(searchIndex ? [{ name: "search index", run: () => searchIndex.stop() }] : []),
    ];
  },
  jobs: ({ pool, clock, config }, { searchCache }) => [
    { name: "calendar", intervalMs: config.CALENDAR_SWEEP_INTERVAL_MS, run: () => sweepCalendar({ pool, clock, searchCache }) },
  ],
});
