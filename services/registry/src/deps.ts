import type { Pool } from "@kruzhok/postgres";

/** What the registry's routes, consumers and use cases need, handed in by main.ts (or a test). */
export interface RegistryDeps {
  pool: Pool;
  /** The one clock: decisions get `now` from it, so tests set the time without fakes. */
  clock: () => Date;
}
