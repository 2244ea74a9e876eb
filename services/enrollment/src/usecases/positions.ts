import type { Pool } from "@kruzhok/postgres";
import { localDateOf } from "@kruzhok/time";
import { explainPosition, queueMember, type PositionView } from "../domain/queue";
import { positionInPostgres, type ApplicationRow } from "../store/applications";
import { isDirty, syncGroup, type QueueIndex } from "../store/queue-index";
import { findGroup, findRules } from "../store/reference";

export type Position = PositionView & { applicationId: string; groupId: string; source: "redis" | "postgres" };

/**
 * A waiting application's position, from the Redis index: one round trip for ZRANK, ZCARD and a
 * ZLEXCOUNT per category up to the child's. A group whose queue changed and is not yet copied is
 * copied first (read-your-writes right after submitting); a member missing from Redis (flushed,
 * or Redis down) is answered from Postgres, the truth, and the group copied again.
 */
export async function positionOf(pool: Pool, index: QueueIndex, a: ApplicationRow, now: Date, log: { warn(o: object, m: string): void }): Promise<Position> {
  const group = await findGroup(pool, a.groupId);
  const settings = group && (await findRules(pool, a.municipalityId, localDateOf(now, group.timeZone).year));
  const order = settings?.rules?.categories ?? [];
  const own = { code: a.categoryCode, rank: a.categoryRank };
  const base = { applicationId: a.id, groupId: a.groupId };
  const member = queueMember({ categoryRank: a.categoryRank, acceptedAtMicros: a.acceptedAtMicros, applicationId: a.id });
  try {
    if (await isDirty(pool, a.groupId)) await syncGroup(pool, index, a.groupId);
    let counts = await index.counts(a.groupId, member, a.categoryRank);
    if (counts.rank === null) {
      await syncGroup(pool, index, a.groupId);
      counts = await index.counts(a.groupId, member, a.categoryRank);
    }
    if (counts.rank !== null) {
      const inCategory = counts.byRank.get(a.categoryRank) ?? 0;
      const higher = [...counts.byRank.entries()].filter(([r]) => r < a.categoryRank).reduce((sum, [, n]) => sum + n, 0);
      return {
        ...base,
        source: "redis",
        ...explainPosition(order, own, {
          position: counts.rank + 1,
          total: counts.total,
          aheadByRank: counts.byRank,
          aheadInCategory: counts.rank - higher,
          inCategory,
        }),
      };
    }
  } catch (error) {
    log.warn({ err: error }, "queue index unavailable; answering the position from Postgres");
  }
  const truth = await positionInPostgres(pool, a);
  const aheadByRank = new Map([...truth.byRank.entries()].filter(([r]) => r < a.categoryRank));
  const higher = [...aheadByRank.values()].reduce((sum, n) => sum + n, 0);
  return {
    ...base,
    source: "postgres",
    ...explainPosition(order, own, {
      position: truth.ahead + 1,
      total: truth.total,
      aheadByRank,
      aheadInCategory: truth.ahead - higher,
      inCategory: truth.byRank.get(a.categoryRank) ?? 0,
    }),
  };
}
