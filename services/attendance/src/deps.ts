import type { Pool } from "@kruzhok/postgres";

/** What attendance's routes, consumers and jobs need, handed in by main.ts (or a test). */
export interface AttendanceDeps {
  pool: Pool;
  /** The one clock: decisions get `now` from it, so tests set the time without fakes. */
  clock: () => Date;
}
