import type { Pool } from "@kruzhok/postgres";
import type { QueueIndex } from "./store/queue-index";

/** What enrollment's routes and consumers need, handed in by main.ts (or a test). */
export interface EnrollmentDeps {
  pool: Pool;
  /** The one clock: decisions get `now` from it, so tests set the time without fakes. */
  clock: () => Date;
  /** The Redis index of the queues (Postgres is the truth). */
  queues: QueueIndex;
}
