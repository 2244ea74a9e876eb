import type { Cause } from "@kruzhok/messaging";
import { withTransaction, type PoolClient } from "@kruzhok/postgres";
import type { RegistryDeps } from "../deps";

/**
 * What a use case writes with: its transaction, the time of the change (one reading of the
 * clock), and what caused it (handed to every event it emits).
 */
export interface Write {
  readonly tx: PoolClient;
  readonly now: Date;
  readonly cause: Cause;
}

/** A use case in a transaction of its own (a route's): committed when `work` resolves. */
export function inTransaction<T>(deps: RegistryDeps, cause: Cause, work: (write: Write) => Promise<T>): Promise<T> {
  return withTransaction(deps.pool, (tx) => joinTransaction(deps, tx, cause, work));
}

/**
 * A use case in a transaction its caller opened and commits: a consumer's, which records the
 * event in the inbox beside the effect.
 */
export function joinTransaction<T>(deps: RegistryDeps, tx: PoolClient, cause: Cause, work: (write: Write) => Promise<T>): Promise<T> {
  return work({ tx, now: deps.clock(), cause });
}

/**
 * A sweep over rows claimed with SKIP LOCKED: rounds of at most `batch` rows of each kind, each
 * in a transaction of its own, until a round finds fewer than `batch` of every kind. Returns the
 * counts summed over the rounds.
 */
export async function inRounds<K extends string>(deps: RegistryDeps, cause: Cause, batch: number, round: (write: Write) => Promise<Record<K, number>>): Promise<Record<K, number>> {
  const total: Partial<Record<K, number>> = {};
  for (;;) {
    const counts = await inTransaction(deps, cause, round);
    for (const [kind, n] of Object.entries(counts) as [K, number][]) total[kind] = (total[kind] ?? 0) + n;
    if (Object.values<number>(counts).every((n) => n < batch)) return total as Record<K, number>;
  }
}
