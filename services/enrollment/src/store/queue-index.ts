import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { DependencyDown, type Outage } from "@kruzhok/observability";
import type { Pool } from "@kruzhok/postgres";
import { queueMember, rankRange } from "../domain/queue";
import { lockGroupQueue, queueKeysOf, tryLockGroupQueue } from "./applications";

/**
 * A member every copied set carries, sorting after every application (`~` after digits): a set
 * without it was lost (FLUSHALL, a Redis restart) and holds at most what was added since, so it
 * is copied whole again before it answers anything.
 */
const COMPLETE = "~";

/**
 * Add a new member, but only to a complete set: 1 added, 0 the set must be copied first. A member
 * that was not there yet is told on the changes channel (ARGV[2], the group's id ARGV[3]).
 */
const ADD_SCRIPT = `
if not redis.call('ZSCORE', KEYS[1], '${COMPLETE}') then return 0 end
if redis.call('ZADD', KEYS[1], 0, ARGV[1]) == 1 then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return 1`;
const ADD_SHA = createHash("sha1").update(ADD_SCRIPT).digest("hex");

/**
 * A position in one round trip and one command: ZRANK, ZCARD and a ZLEXCOUNT per category rank
 * up to the member's own. KEYS[1] the queue; ARGV[1] the member, then (min, max) per rank.
 * A member not in the set answers nil, an incomplete set -1: the caller copies the group or falls
 * back to Postgres.
 */
const POSITION_SCRIPT = `
if not redis.call('ZSCORE', KEYS[1], '${COMPLETE}') then return -1 end
local rank = redis.call('ZRANK', KEYS[1], ARGV[1])
if not rank then return false end
local out = { rank, redis.call('ZCARD', KEYS[1]) - 1 }
for i = 2, #ARGV, 2 do
  out[#out + 1] = redis.call('ZLEXCOUNT', KEYS[1], ARGV[i], ARGV[i + 1])
end
return out`;
const POSITION_SHA = createHash("sha1").update(POSITION_SCRIPT).digest("hex");

/** The script's (min, max) pairs for ranks 0..rank, built once per rank: a lookup only copies them. */
const rangesUpTo: string[][] = [];
function rankRangesUpTo(rank: number): readonly string[] {
  let ranges = rangesUpTo[rank];
  if (!ranges) {
    ranges = [];
    for (let r = 0; r <= rank; r++) {
      const { min, max } = rankRange(r);
      ranges.push(min, max);
    }
    rangesUpTo[rank] = ranges;
  }
  return ranges;
}

/**
 * The Redis index of the queues: one sorted set per group, `<prefix>{group:<id>}:queue`, hash
 * tagged so that a Redis Cluster keeps each group's keys in one slot. Every member has score 0
 * and encodes (category rank, accepted-at µs, application id) in fixed width, so ZRANK is the
 * position and ZLEXCOUNT counts a category (see domain/queue.ts).
 *
 * Redis is written in two ways. A new application is added on its own (`add`, one ZADD) right
 * after its transaction committed: its member sorts into place by itself, so nothing else of
 * the queue needs copying. Every other change (withdrawal, review, offer, re-rank) marks the
 * group dirty (queue_dirty) in its transaction, and `syncGroup` copies the group's queue from
 * Postgres as a whole in one MULTI (readers see the old queue or the new, never half) while it
 * holds the group's queue lock: no application commits into the group between the read and
 * the copy, so a copy never drops an `add` that raced with it. Postgres stays the truth: an
 * `add` that failed marks the group dirty, a process that died between COMMIT and `add` rebuilds
 * every queue when it starts again, `rebuild` copies every group on demand and `check` compares.
 */
export class QueueIndex {
  constructor(
    readonly redis: Redis,
    /** Prepended to every key; must not contain `{` (it would move the hash tag). */
    readonly prefix: string,
    /**
     * Redis's outages as the process sees them: told of every call's failure and answer, and
     * while Redis is down a call is not even tried (it throws DependencyDown at once) but once
     * a second, so that positions and submissions go the Postgres way without waiting for a
     * timeout each.
     */
    readonly outage?: Outage,
  ) {
    if (prefix.includes("{") || prefix.includes("}")) throw new Error("the Redis key prefix must not contain { or }");
  }

  /** Whether a failure of this index was already told of as an outage: callers then log it at debug level only. */
  told(error: unknown): boolean {
    return this.outage?.told(error) ?? false;
  }

  private async guard<T>(call: () => Promise<T>): Promise<T> {
    const outage = this.outage;
    if (!outage) return call();
    if (!outage.shouldTry()) throw new DependencyDown("redis");
    const startedAt = performance.now();
    try {
      const result = await call();
      outage.answered(startedAt);
      return result;
    } catch (error) {
      outage.failed(error);
      throw error;
    }
  }

  key(groupId: string): string {
    return `${this.prefix}{group:${groupId}}:queue`;
  }

  private readonly changeListeners: ((groupId: string) => void)[] = [];

  /**
   * Told of every change this process makes to a queue, as soon as Redis took it (other
   * processes' changes arrive on `changesChannel`, a moment later): a cache of this process reads
   * its own writes.
   */
  onChange(listener: (groupId: string) => void): void {
    this.changeListeners.push(listener);
  }

  private changed(groupId: string): void {
    for (const listener of this.changeListeners) listener(groupId);
  }

  /**
   * The channel every change of a queue is published on (the group's id as the message), by
   * whichever process or replica made it: open position streams (`PositionWatch`) learn from it
   * which groups to ask again, instead of asking every position over and over.
   */
  get changesChannel(): string {
    return `${this.prefix}queue-changes`;
  }

  /**
   * Replace the group's set with `members` atomically, marked complete (an empty queue keeps
   * only the mark); `forget` deletes the set (a group Postgres does not know).
   */
  async replace(groupId: string, members: readonly string[], { forget = false } = {}): Promise<void> {
    await this.guard(() => this.replaceNow(groupId, members, forget));
  }

  private async replaceNow(groupId: string, members: readonly string[], forget: boolean): Promise<void> {
    const key = this.key(groupId);
    const multi = this.redis.multi().del(key);
    if (!forget) multi.zadd(key, 0, COMPLETE);
    const CHUNK = 5_000;
    for (let i = 0; i < members.length; i += CHUNK) {
      const args: (string | number)[] = [];
      for (const member of members.slice(i, i + CHUNK)) args.push(0, member);
      multi.zadd(key, ...args);
    }
    multi.publish(this.changesChannel, groupId);
    let results: [Error | null, unknown][] | null;
    try {
      results = await multi.exec();
    } finally {
      // Told even when it failed: a transaction may have been applied whose answer was lost.
      this.changed(groupId);
    }
    const failed = results?.find(([error]) => error);
    if (!results || failed) throw failed?.[0] ?? new Error("redis transaction aborted");
  }

  /**
   * Add one member (a new application that committed) to a complete set; adding it twice changes
   * nothing. False when the set is incomplete (lost): copy the group instead.
   */
  async add(groupId: string, member: string): Promise<boolean> {
    try {
      return Number(await this.script(ADD_SHA, ADD_SCRIPT, this.key(groupId), [member, this.changesChannel, groupId])) === 1;
    } finally {
      this.changed(groupId);
    }
  }

  private script(sha: string, source: string, key: string, args: readonly string[]): Promise<unknown> {
    return this.guard(() => this.scriptNow(sha, source, key, args));
  }

  private async scriptNow(sha: string, source: string, key: string, args: readonly string[]): Promise<unknown> {
    try {
      return await this.redis.evalsha(sha, 1, key, ...args);
    } catch (error) {
      // A restarted Redis forgot the script: send it whole once (EVAL caches it again).
      if (!(error instanceof Error && error.message.startsWith("NOSCRIPT"))) throw error;
      return this.redis.eval(source, 1, key, ...args);
    }
  }

  /**
   * The member's 0-based rank, the set's size and the count of each category rank 0..ownRank,
   * in one command (a script); "missing" when the member is not in the set, "incomplete" when
   * the set was lost and must be copied first.
   */
  async position(groupId: string, member: string, ownRank: number): Promise<{ rank: number; total: number; byRank: Map<number, number> } | "missing" | "incomplete"> {
    const reply = await this.script(POSITION_SHA, POSITION_SCRIPT, this.key(groupId), [member, ...rankRangesUpTo(ownRank)]);
    if (reply === -1) return "incomplete";
    if (!Array.isArray(reply)) return "missing";
    const byRank = new Map<number, number>();
    for (let r = 0; r <= ownRank; r++) byRank.set(r, Number(reply[2 + r] ?? 0));
    return { rank: Number(reply[0] ?? 0), total: Number(reply[1] ?? 0), byRank };
  }

  /** The queue's members in order (without the completeness mark). */
  async members(groupId: string): Promise<string[]> {
    return (await this.guard(() => this.redis.zrange(this.key(groupId), 0, -1))).filter((m) => m !== COMPLETE);
  }

  /** Every group key under this prefix (for the checker: keys Postgres no longer has a queue for). */
  async groupIds(): Promise<string[]> {
    const ids: string[] = [];
    let cursor = "0";
    const pattern = `${this.prefix.replace(/[*?[\]\\]/g, "\\$&")}{group:*}:queue`;
    do {
      const [next, keys] = await this.guard(() => this.redis.scan(cursor, "MATCH", pattern, "COUNT", 1000));
      for (const key of keys) {
        const match = /\{group:([^}]+)\}:queue$/.exec(key);
        if (match?.[1]) ids.push(match[1]);
      }
      cursor = next;
    } while (cursor !== "0");
    return ids;
  }
}

/**
 * Copy one group's queue from Postgres to Redis, holding the group's queue lock (the lock every
 * change of the queue takes) from the read until the copy is in Redis. `wait: false` skips a
 * group whose lock is held right now (it stays dirty if it changed, and the next round takes it).
 * Returns the number of entries, or undefined when skipped.
 */
export async function syncGroup(pool: Pool, index: QueueIndex, groupId: string, { wait = true } = {}): Promise<number | undefined> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    try {
      if (wait) await lockGroupQueue(client, groupId);
      else if (!(await tryLockGroupQueue(client, groupId))) {
        await client.query("ROLLBACK");
        return undefined;
      }
      const dirty = await client.query<{ version: number }>("SELECT version FROM queue_dirty WHERE group_id = $1", [groupId]);
      const keys = await queueKeysOf(client, groupId);
      await index.replace(groupId, keys.map(queueMember));
      const version = dirty.rows[0]?.version;
      if (version !== undefined) await client.query("DELETE FROM queue_dirty WHERE group_id = $1 AND version = $2", [groupId, version]);
      await client.query("COMMIT");
      return keys.length;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  } finally {
    client.release();
  }
}

/**
 * Mark every group's queue to be copied to Redis by the syncer: when Redis could not be rebuilt
 * at start, and each time it answers again after an outage (a restarted Redis holds nothing, and
 * what was added meanwhile never reached it). Returns how many groups.
 */
export async function markEveryQueueDirty(pool: Pool): Promise<number> {
  const { rowCount } = await pool.query(
    `INSERT INTO queue_dirty (group_id, version) SELECT id, 1 FROM groups
     ON CONFLICT (group_id) DO UPDATE SET version = queue_dirty.version + 1`,
  );
  return rowCount ?? 0;
}

export async function isDirty(pool: Pool, groupId: string): Promise<boolean> {
  const { rowCount } = await pool.query("SELECT 1 FROM queue_dirty WHERE group_id = $1", [groupId]);
  return rowCount === 1;
}

/** One round of the syncer: copy up to `limit` dirty groups. Returns how many were copied. */
export async function syncDirtyGroups(pool: Pool, index: QueueIndex, limit = 500): Promise<number> {
  const { rows } = await pool.query<{ groupId: string }>(`SELECT group_id AS "groupId" FROM queue_dirty ORDER BY group_id LIMIT $1`, [limit]);
  let synced = 0;
  for (const { groupId } of rows) {
    if ((await syncGroup(pool, index, groupId, { wait: false })) !== undefined) synced++;
  }
  return synced;
}

/** Which queues a rebuild or a check covers: one municipality's, one region's, or (empty) the whole service's. */
export interface QueueScope {
  municipalityId?: string;
  regionCode?: string;
}

/** Groups in scope: every group Postgres knows, or a municipality's, or those of a region's municipalities. */
async function groupsInScope(pool: Pool, scope: QueueScope): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT g.id FROM groups g
      WHERE ($1::uuid IS NULL OR g.municipality_id = $1)
        AND ($2::text IS NULL OR g.municipality_id IN (SELECT m.id FROM municipalities m WHERE m.region_code = $2))
      ORDER BY g.id`,
    [scope.municipalityId ?? null, scope.regionCode ?? null],
  );
  return rows.map((r) => r.id);
}

const wholeService = (scope: QueueScope) => scope.municipalityId === undefined && scope.regionCode === undefined;

/**
 * Rebuild the index from Postgres: every group's set copied over, and sets of groups Postgres
 * does not know deleted (whole service only). Run at start and on demand (after FLUSHALL).
 */
export async function rebuildQueues(pool: Pool, index: QueueIndex, scope: QueueScope = {}): Promise<{ groups: number; entries: number }> {
  const ids = await groupsInScope(pool, scope);
  let entries = 0;
  for (const id of ids) entries += (await syncGroup(pool, index, id)) ?? 0;
  if (wholeService(scope)) {
    const known = new Set(ids);
    for (const id of await index.groupIds()) if (!known.has(id)) await index.replace(id, [], { forget: true });
  }
  return { groups: ids.length, entries };
}

export interface QueueMismatch {
  groupId: string;
  postgres: number;
  redis: number;
  /** 0-based index of the first entry that differs. */
  firstDifference: number;
}

/** Compare every group's Redis set with its Postgres queue, entry by entry. */
export async function checkQueues(pool: Pool, index: QueueIndex, scope: QueueScope = {}): Promise<{ groups: number; entries: number; mismatches: QueueMismatch[] }> {
  const ids = await groupsInScope(pool, scope);
  const mismatches: QueueMismatch[] = [];
  let entries = 0;
  for (const groupId of ids) {
    const expected = (await queueKeysOf(pool, groupId)).map(queueMember);
    const actual = await index.members(groupId);
    entries += expected.length;
    const length = Math.max(expected.length, actual.length);
    for (let i = 0; i < length; i++) {
      if (expected[i] !== actual[i]) {
        mismatches.push({ groupId, postgres: expected.length, redis: actual.length, firstDifference: i });
        break;
      }
    }
  }
  return { groups: ids.length, entries, mismatches };
}
