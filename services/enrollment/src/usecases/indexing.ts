import type { Actor } from "@kruzhok/actor";
import { onCommit, type Pool, type Queryable } from "@kruzhok/postgres";
import { queueMember } from "../domain/queue";
import { markQueueDirty, type ApplicationRow } from "../store/applications";
import { markEveryQueueDirty, rebuildQueues, syncGroup, type QueueIndex } from "../store/queue-index";
import { queueScope } from "./access";

// The Redis queue index after a change commits. Postgres is the truth: a new application is
// added on its own after COMMIT (the group marked dirty if that fails; a process that died first
// rebuilds every queue at start), and every other change of a queue marks the group dirty in its
// transaction, so the syncer copies it within QUEUE_SYNC_INTERVAL_MS. A copy after COMMIT only
// makes a person's own change visible at once (they read their own write); if it fails, nothing
// is lost.

/** Where a failure of the index is told: the change itself committed. */
export interface Log {
  warn(o: object, m: string): void;
  debug(o: object, m: string): void;
}

/** What writes to the Redis index after a commit. */
export interface QueueIndexDeps {
  pool: Pool;
  queues: QueueIndex;
  log: Log;
}

/**
 * A new application into the Redis index, once it committed: its member alone (it sorts into
 * place), or the whole group when the set was lost. If Redis fails, the group is marked dirty
 * and the syncer copies it; if the process dies before this, the rebuild at start does. Never
 * throws.
 */
export async function addToIndex({ pool, queues, log }: QueueIndexDeps, a: ApplicationRow): Promise<void> {
  try {
    const member = queueMember({ categoryRank: a.categoryRank, acceptedAtMicros: a.acceptedAtMicros, applicationId: a.id });
    if (!(await queues.add(a.groupId, member))) await syncGroup(pool, queues, a.groupId);
  } catch (error) {
    // During an outage the outage's own line said so; one per submission would bury the log.
    log[queues.told(error) ? "debug" : "warn"]({ err: error, groupId: a.groupId }, "adding to the Redis queue index failed; the syncer copies the group");
    await markQueueDirty(pool, a.groupId).catch((err: unknown) => log.warn({ err, groupId: a.groupId }, "marking the queue dirty failed; the checker repairs it"));
  }
}

/**
 * Copy the group's queue to Redis now, best effort: a group whose lock is held is left to the
 * syncer (the change marked it dirty). Never throws.
 */
export async function copyQueueNow({ pool, queues, log }: QueueIndexDeps, groupId: string): Promise<void> {
  await syncGroup(pool, queues, groupId, { wait: false }).catch((error: unknown) =>
    log[queues.told(error) ? "debug" : "warn"]({ err: error, groupId }, "queue copy to Redis failed; the syncer retries"),
  );
}

/** `copyQueueNow` once `tx` has committed (never if it rolls back). */
export function copyQueueAfterCommit(tx: Queryable, deps: QueueIndexDeps, groupId: string): void {
  onCommit(tx, () => copyQueueNow(deps, groupId));
}

/**
 * The office (its municipality's queues) or the region (any of its municipalities', or all of
 * them) rebuilds the Redis index from Postgres, after Redis lost it or the checker found it differs.
 */
export async function rebuildIndex(deps: Pick<QueueIndexDeps, "pool" | "queues">, actor: Actor, municipalityId: string | undefined): Promise<{ groups: number; entries: number }> {
  return rebuildQueues(deps.pool, deps.queues, await queueScope(deps.pool, actor, municipalityId));
}

/**
 * The index at the start of a process: rebuilt from Postgres when Redis answers; when it does
 * not, every queue is marked for the syncer, which copies them once it does (positions come
 * from Postgres meanwhile). Each time Redis answers again after an outage, every queue is marked
 * again: a restarted Redis holds nothing, and the members added meanwhile never reached it.
 * Never throws for Redis: enrollment starts and serves without it.
 */
export async function startQueueIndex(deps: QueueIndexDeps & { log: Log & { info(o: object, m: string): void } }): Promise<void> {
  const { pool, queues, log } = deps;
  queues.outage?.onRecovery(() => {
    markEveryQueueDirty(pool).then(
      (groups) => log.info({ groups }, "Redis answers again: every queue is marked for copying"),
      (err: unknown) => log.warn({ err }, "marking every queue for copying failed; the checker repairs what differs"),
    );
  });
  try {
    log.info(await rebuildQueues(pool, queues), "queue index rebuilt from Postgres");
  } catch (error) {
    const groups = await markEveryQueueDirty(pool);
    log.warn({ err: error, groups }, "queue index not rebuilt (Redis unavailable); every queue is marked for copying once it answers");
  }
}
