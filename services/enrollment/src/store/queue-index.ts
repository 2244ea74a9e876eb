import type { Redis } from "ioredis";
import type { Pool } from "@kruzhok/postgres";
import { queueMember, rankRange } from "../domain/queue";
import { queueKeysOf } from "./applications";

/**
 * The Redis index of the queues: one sorted set per group, `<prefix>{group:<id>}:queue`, hash
 * tagged so that a Redis Cluster keeps each group's keys in one slot. Every member has score 0
 * and encodes (category rank, accepted-at µs, application id) in fixed width, so ZRANK is the
 * position and ZLEXCOUNT counts a category (see domain/queue.ts).
 *
 * Redis is written only by `syncGroup`, which copies a group's queue from Postgres as a whole in
 * one MULTI (readers see the old queue or the new, never half), under a Postgres advisory lock
 * so that two copies of one group never interleave. Transactions that change a queue mark the
 * group dirty (queue_dirty) in the same transaction; the syncer clears the mark only if nothing
 * changed since it read. Postgres stays the truth; `rebuild` copies every group, `check`
 * compares them.
 */
export class QueueIndex {
  constructor(
    readonly redis: Redis,
    /** Prepended to every key; must not contain `{` (it would move the hash tag). */
    readonly prefix: string,
  ) {
    if (prefix.includes("{") || prefix.includes("}")) throw new Error("the Redis key prefix must not contain { or }");
  }

  key(groupId: string): string {
    return `${this.prefix}{group:${groupId}}:queue`;
  }

  /** Replace the group's set with `members` atomically (an empty list deletes it). */
  async replace(groupId: string, members: readonly string[]): Promise<void> {
    const key = this.key(groupId);
    const multi = this.redis.multi().del(key);
    const CHUNK = 5_000;
    for (let i = 0; i < members.length; i += CHUNK) {
      const args: (string | number)[] = [];
      for (const member of members.slice(i, i + CHUNK)) args.push(0, member);
      multi.zadd(key, ...args);
    }
    const results = await multi.exec();
    const failed = results?.find(([error]) => error);
    if (!results || failed) throw failed?.[0] ?? new Error("redis transaction aborted");
  }

  async members(groupId: string): Promise<string[]> {
    return this.redis.zrange(this.key(groupId), 0, -1);
  }

  /**
   * The member's 0-based rank, the set's size, and the count of each category rank 0..ownRank
   * (for ownRank: the member's whole category), in one round trip.
   */
  async counts(groupId: string, member: string, ownRank: number): Promise<{ rank: number | null; total: number; byRank: Map<number, number> }> {
    const key = this.key(groupId);
    const pipeline = this.redis.pipeline().zrank(key, member).zcard(key);
    for (let r = 0; r <= ownRank; r++) {
      const { min, max } = rankRange(r);
      pipeline.zlexcount(key, min, max);
    }
    const results = (await pipeline.exec()) ?? [];
    const value = (i: number): unknown => {
      const entry = results[i];
      if (!entry) throw new Error("redis pipeline returned too few results");
      if (entry[0]) throw entry[0];
      return entry[1];
    };
    const byRank = new Map<number, number>();
    for (let r = 0; r <= ownRank; r++) byRank.set(r, Number(value(2 + r)));
    const rank = value(0);
    return { rank: rank === null ? null : Number(rank), total: Number(value(1)), byRank };
  }

  /** Every group key under this prefix (for the checker: keys Postgres no longer has a queue for). */
  async groupIds(): Promise<string[]> {
    const ids: string[] = [];
    let cursor = "0";
    const pattern = `${this.prefix.replace(/[*?[\]\\]/g, "\\$&")}{group:*}:queue`;
    do {
      const [next, keys] = await this.redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      for (const key of keys) {
        const match = /\{group:([^}]+)\}:queue$/.exec(key);
        if (match?.[1]) ids.push(match[1]);
      }
      cursor = next;
    } while (cursor !== "0");
    return ids;
  }
}

const syncLock = "hashtextextended('enrollment.queue-sync:' || $1, 0)";

/**
 * Copy one group's queue from Postgres to Redis. `wait: false` skips a group another syncer
 * holds right now (it stays dirty if it changed meanwhile, and the next round takes it).
 * Returns the number of entries, or undefined when skipped.
 */
export async function syncGroup(pool: Pool, index: QueueIndex, groupId: string, { wait = true } = {}): Promise<number | undefined> {
  const client = await pool.connect();
  try {
    if (wait) await client.query(`SELECT pg_advisory_lock(${syncLock})`, [groupId]);
    else {
      const { rows } = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${syncLock}) AS locked`, [groupId]);
      if (!rows[0]?.locked) return undefined;
    }
    try {
      // The version first, then the queue: a change committed after this read bumps the
      // version, so the conditional DELETE below keeps the mark and the group is copied again.
      const dirty = await client.query<{ version: number }>("SELECT version FROM queue_dirty WHERE group_id = $1", [groupId]);
      const keys = await queueKeysOf(client, groupId);
      await index.replace(groupId, keys.map(queueMember));
      const version = dirty.rows[0]?.version;
      if (version !== undefined) await client.query("DELETE FROM queue_dirty WHERE group_id = $1 AND version = $2", [groupId, version]);
      return keys.length;
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${syncLock})`, [groupId]);
    }
  } finally {
    client.release();
  }
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

/** Groups in scope: every group Postgres knows (a municipality's when given). */
async function groupsInScope(pool: Pool, municipalityId?: string): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    "SELECT id FROM groups WHERE $1::uuid IS NULL OR municipality_id = $1 ORDER BY id",
    [municipalityId ?? null],
  );
  return rows.map((r) => r.id);
}

/**
 * Rebuild the index from Postgres: every group's set copied over, and sets of groups Postgres
 * does not know deleted (whole service only). Run at start and on demand (after FLUSHALL).
 */
export async function rebuildQueues(pool: Pool, index: QueueIndex, municipalityId?: string): Promise<{ groups: number; entries: number }> {
  const ids = await groupsInScope(pool, municipalityId);
  let entries = 0;
  for (const id of ids) entries += (await syncGroup(pool, index, id)) ?? 0;
  if (!municipalityId) {
    const known = new Set(ids);
    for (const id of await index.groupIds()) if (!known.has(id)) await index.replace(id, []);
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
export async function checkQueues(pool: Pool, index: QueueIndex, municipalityId?: string): Promise<{ groups: number; entries: number; mismatches: QueueMismatch[] }> {
  const ids = await groupsInScope(pool, municipalityId);
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
