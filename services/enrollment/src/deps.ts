import type { Registry } from "@kruzhok/observability";
import type { Pool } from "@kruzhok/postgres";
import type { Siblings } from "@kruzhok/service";
import type { QueueIndex } from "./store/queue-index";
import type { PositionLookups } from "./usecases/positions";

/** What enrollment's routes and consumers need, handed in by main.ts (or a test). */
export interface EnrollmentDeps {
  pool: Pool;
  /** The one clock: decisions get `now` from it, so tests set the time without fakes. */
  clock: () => Date;
  /** The Redis index of the queues (Postgres is the truth). */
  queues: QueueIndex;
  /**
   * The position lookups' process cache, one per process: the routes answer from it and teach
   * it, the consumers tell it of guardianships that end.
   */
  positions: PositionLookups;
  /** The other workers of this service (WORKERS > 1): told of accepted applications, so that any of them answers their positions from Redis. */
  siblings?: Siblings;
}

/** What each route plugin gets: the deps, and the app's metrics (the routes' own gauges go there). */
export interface EnrollmentRouteDeps extends EnrollmentDeps {
  metrics: Registry;
}
