import type pg from "pg";
import { isDatabaseUnavailable, type Queryable } from "./pool";

export type IsolationLevel = "read committed" | "repeatable read" | "serializable";

/** Work for after a commit: an index or a cache told of what the transaction wrote. */
export type CommitHook = () => void | Promise<void>;

/** The hooks of each transaction open in `withTransaction`, by its client. */
const hooksOf = new WeakMap<object, CommitHook[]>();

/**
 * Run `hook` once the transaction `tx` has committed, never if it rolls back (or is retried: a
 * retry registers its own). `tx` is a transaction of `withTransaction`, or of a group commit's
 * batch (`GroupCommit`), so code deep inside a use case can leave work for after COMMIT without
 * the caller knowing what it is.
 *
 * Hooks start in the order registered, once COMMIT has succeeded and the connection is back in
 * the pool, and run together (a hundred Redis writes of one batch leave in one pipeline); the
 * transaction's caller gets its result once they all ended. A hook should handle its own
 * failures (mark the row for a repair job, say): the data is committed whatever a hook does. One
 * that throws anyway is reported to the caller as an `AfterCommitError`, never retried.
 */
export function onCommit(tx: Queryable, hook: CommitHook): void {
  const hooks = hooksOf.get(tx);
  if (!hooks) throw new Error("onCommit needs a transaction of withTransaction (or a group commit's batch) that is still open");
  hooks.push(hook);
}

/** The transaction committed, but hooks registered with `onCommit` failed. Do not retry: its effects are in. */
export class AfterCommitError extends Error {
  override readonly name = "AfterCommitError";
  constructor(
    readonly errors: readonly unknown[],
    /** What the transaction's work returned. */
    readonly result: unknown,
  ) {
    super(`the transaction committed, but ${errors.length} after-commit hook(s) failed`, { cause: errors[0] });
  }
}

async function runHooks(hooks: readonly CommitHook[], result: unknown): Promise<void> {
  if (hooks.length === 0) return;
  const settled = await Promise.allSettled(hooks.map(async (hook) => hook()));
  const errors = settled.flatMap((outcome) => (outcome.status === "rejected" ? [outcome.reason as unknown] : []));
  if (errors.length > 0) throw new AfterCommitError(errors, result);
}

/**
 * Run `work` in one transaction on one client: COMMIT when it resolves, ROLLBACK when it throws.
 * Serialization failures and deadlocks (40001, 40P01) are retried a few times, since Postgres
 * asks the client to retry them. Hooks that `work` registered with `onCommit` run after COMMIT.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  options: { isolation?: IsolationLevel; retries?: number } = {},
): Promise<T> {
  const retries = options.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    const client = await pool.connect();
    const hooks: CommitHook[] = [];
    let committed: { result: T } | undefined;
    // A connection lost or stuck (a statement timed out on our side) is discarded, not pooled
    // again: the next checkout would wait on it in turn. Closing it rolls the transaction back.
    let broken: Error | undefined;
    try {
      await client.query(`BEGIN ISOLATION LEVEL ${(options.isolation ?? "read committed").toUpperCase()}`);
      hooksOf.set(client, hooks);
      const result = await work(client);
      await client.query("COMMIT");
      committed = { result };
    } catch (error) {
      if (isDatabaseUnavailable(error)) broken = error as Error;
      else await client.query("ROLLBACK").catch((rollbackError: unknown) => void (isDatabaseUnavailable(rollbackError) && (broken = rollbackError as Error)));
      const code = (error as { code?: string }).code;
      if (!((code === "40001" || code === "40P01") && attempt < retries)) throw error;
    } finally {
      hooksOf.delete(client);
      client.release(broken);
    }
    if (committed) {
      await runHooks(hooks, committed.result);
      return committed.result;
    }
  }
}
