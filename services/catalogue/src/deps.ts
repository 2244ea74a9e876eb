import type { Pool } from "@kruzhok/postgres";
import type { SearchCache } from "./store/search-cache";
import type { SearchIndex } from "./store/search-index";

/** What the catalogue's routes and consumers need, handed in by main.ts (or a test). */
export interface CatalogueDeps {
  pool: Pool;
  /** The one clock: decisions get `now` from it, so tests set the time without fakes. */
  clock: () => Date;
  /**
   * The navigator's answer cache, one per process: the search route answers through it, and the
   * use-case layer tells it of every write that changes what search shows, once per transaction
   * (usecases/transaction.ts), whether a route or a consumer made it.
   */
  searchCache: SearchCache;
  /**
   * The navigator's index in memory (store/search-index.ts): searches without words are computed
   * from it once it holds their municipality; absent (SEARCH_INDEX=off, or a test's instance
   * that computes every answer in Postgres), Postgres computes them all.
   */
  searchIndex?: SearchIndex | undefined;
}
