import type { Cause } from "@kruzhok/messaging";
import { withTransaction, type PoolClient } from "@kruzhok/postgres";
import type { AttendanceDeps } from "../deps";

/** What a use case writes with: its transaction, the time of the change (one reading of the clock), what caused it. */
export interface Write {
  readonly tx: PoolClient;
  readonly now: Date;
  readonly cause: Cause;
}

/** A use case in a transaction of its own (a route's or a job's): committed when `work` resolves. */
export function inTransaction<T>(deps: AttendanceDeps, cause: Cause, work: (write: Write) => Promise<T>): Promise<T> {
  return withTransaction(deps.pool, (tx) => joinTransaction(deps, tx, cause, work));
}

/** A use case in a transaction its caller opened and commits: a consumer's, which records the event in the inbox beside the effect. */
export function joinTransaction<T>(deps: AttendanceDeps, tx: PoolClient, cause: Cause, work: (write: Write) => Promise<T>): Promise<T> {
  return work({ tx, now: deps.clock(), cause });
}
