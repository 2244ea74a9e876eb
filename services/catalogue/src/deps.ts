import type { Pool } from "@kruzhok/postgres";
import type { SearchCache } from "./store/search-cache";

/** What the catalogue's routes and consumers need, handed in by main.ts (or a test). */
export interface CatalogueDeps {
  pool: Pool;
  /** The one clock: decisions get `now` from it, so tests set the time without fakes. */
  clock: () => Date;
  /**
   * The navigator's answer cache, shared by the routes and consumers of one process: every
   * transaction that changes what search shows calls `searchCache.changing(tx, municipalityId)`.
   */
  searchCache: SearchCache;
}
