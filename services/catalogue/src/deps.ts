import type { Pool } from "@kruzhok/postgres";

/** What the catalogue's routes and consumers need, handed in by main.ts (or a test). */
export interface CatalogueDeps {
  pool: Pool;
  /** The one clock: decisions get `now` from it, so tests set the time without fakes. */
  clock: () => Date;
}
