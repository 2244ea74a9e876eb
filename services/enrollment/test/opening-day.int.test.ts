import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queueMember } from "../src/domain/queue";
import { sweep } from "../src/usecases/sweeps";
import { CATEGORIES, apply, child, enrollmentHarness, flushOwnKeys, openGroup, world, type Child, type EnrollmentHarness, type World } from "./fixtures/enrollment";

// Opening day: 1,000 families apply at once for a group of 10 seats, and Redis is flushed in
// the middle of it. Nothing is lost, nobody is in twice, the order is the rule's, and the
// positions survive a flush because Postgres is the truth.

const CHILDREN = 1_000;
const DUPLICATES = 50;

describe("opening day: 1,000 concurrent applications for 10 seats", () => {
  let h: EnrollmentHarness;
  let w: World;
  let groupId: string;
  const kids: (Child & { categories: string[] })[] = [];

  beforeAll(async () => {
    h = await enrollmentHarness("enr-opening-day", { poolSize: 30 });
    w = await world(h, { maxOpenApplications: 3 });
    h.clock.set("2026-09-01T09:00:00Z");
    ({ groupId } = await openGroup(h, w, { capacity: 10 }));
    // A fixed spread of categories (some children with two, a third with none).
    for (let i = 0; i < CHILDREN; i++) {
      const categories = i % 3 === 0 ? [] : i % 7 === 0 ? [CATEGORIES[i % 4]!, CATEGORIES[(i + 1) % 4]!] : [CATEGORIES[i % 4]!];
      kids.push({ ...(await child(h, w, { categories })), categories });
    }
  }, 120_000);
  afterAll(async () => {
    await h.close();
  });

  const redisOrder = async () => h.queues.members(groupId);
  const apiPositions = async (ids: readonly string[]) => {
    const positions = new Map<string, number>();
    for (const [index, id] of ids.entries()) {
      const res = await h.app.inject({ method: "GET", url: `/applications/${id}/position`, headers: kids[index]!.guardian });
      if (res.statusCode !== 200) throw new Error(res.body);
      positions.set(id, res.json<{ position: number }>().position);
    }
    return positions;
  };

  it("accepts each child once, loses nothing, ranks by category then accepted-at then id, and offers exactly 10 seats to the head", async () => {
    // Every child applies once; 50 of them twice at the same moment (a double click).
    const submissions = [...kids.map((k) => ({ k, dup: false })), ...kids.slice(0, DUPLICATES).map((k) => ({ k, dup: true }))];
    let done = 0;
    let flushed = 0;
    const results = await Promise.all(
      submissions.map(async ({ k }) => {
        const res = await apply(h, k.guardian, k.childId, groupId);
        done++;
        // Mid-load: everything this test has in Redis is deleted while half the requests are in flight.
        if (done === Math.floor(submissions.length / 2)) flushed = await flushOwnKeys(h);
        return { childId: k.childId, status: res.statusCode, body: res.json<{ id?: string; code?: string }>() };
      }),
    );
    expect(flushed).toBeGreaterThan(0);
    const accepted = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status !== 201);
    expect(accepted).toHaveLength(CHILDREN);
    expect(new Set(accepted.map((r) => r.childId)).size).toBe(CHILDREN);
    expect(refused).toHaveLength(DUPLICATES);
    expect(new Set(refused.map((r) => r.body.code))).toEqual(new Set(["ENROLLMENT.ALREADY_APPLYING_TO_PROGRAM"]));
    expect(results.filter((r) => r.status >= 500)).toEqual([]);

    // Postgres has every accepted application, once.
    const { rows } = await h.pool.query<{ id: string; childId: string; rank: number; micros: number }>(
      `SELECT id, child_id AS "childId", category_rank AS rank, (extract(epoch FROM accepted_at) * 1000000)::bigint AS micros
         FROM applications WHERE group_id = $1`,
      [groupId],
    );
    expect(rows).toHaveLength(CHILDREN);
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(accepted.map((r) => r.body.id)));

    // Each child's rank is its best category in the municipality's order (none ranks last).
    const byChild = new Map(kids.map((k) => [k.childId, k]));
    for (const row of rows) {
      const own = byChild.get(row.childId)!.categories.map((c) => CATEGORIES.indexOf(c));
      expect(row.rank).toBe(own.length ? Math.min(...own) : CATEGORIES.length);
    }

    // The order the rule gives, computed here independently of the service.
    const expected = [...rows]
      .sort((a, b) => a.rank - b.rank || a.micros - b.micros || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((r) => r.id);
    const queue = await h.app.inject({ method: "GET", url: `/groups/${groupId}/queue?limit=10000`, headers: w.provider });
    expect(queue.json<{ applicationId: string }[]>().map((e) => e.applicationId)).toEqual(expected);
    // accepted-at is unique to the microsecond here: the database stamped them one at a time under the group's lock.
    expect(new Set(rows.map((r) => r.micros)).size).toBe(CHILDREN);

    // After the flush, the rebuild copies the truth back: Redis order equals the rule's order.
    const rebuilt = await h.app.inject({ method: "POST", url: "/queues/rebuild", headers: w.region });
    expect(rebuilt.json()).toMatchObject({ entries: expect.any(Number) as number });
    const members = await redisOrder();
    expect(members.map((m) => m.split(":")[2])).toEqual(expected);
    expect((await h.app.inject({ method: "GET", url: "/queues/check", headers: w.region })).json()).toMatchObject({ mismatches: [] });

    // FLUSHALL (of this test's keys) and rebuild: every position is what it was.
    const ids = kids.map((k) => accepted.find((r) => r.childId === k.childId)!.body.id!);
    const before = await apiPositions(ids);
    expect([...before.values()].sort((a, b) => a - b)).toEqual(Array.from({ length: CHILDREN }, (_, i) => i + 1));
    for (const [index, id] of expected.entries()) expect(before.get(id)).toBe(index + 1);
    await flushOwnKeys(h);
    expect(await h.redis.exists(h.queues.key(groupId))).toBe(0);
    await h.app.inject({ method: "POST", url: `/queues/rebuild?municipalityId=${w.municipalityId}`, headers: w.operator });
    const after = await apiPositions(ids);
    expect(after).toEqual(before);
    const lastMember = members.at(-1)!;
    expect(lastMember).toBe(queueMember({ categoryRank: rows.find((r) => r.id === expected.at(-1))!.rank, acceptedAtMicros: rows.find((r) => r.id === expected.at(-1))!.micros, applicationId: expected.at(-1)! }));

    // The review deadline passes (3 working days, Kamchatka): every application moves on, and
    // exactly the 10 at the head get the 10 seats.
    h.clock.set("2026-09-05T00:00:00Z");
    const swept = await sweep(h.pool, h.clock());
    expect(swept.autoConfirmed).toBe(CHILDREN);
    const offers = await h.pool.query<{ applicationId: string; childId: string }>(
      `SELECT o.application_id AS "applicationId", a.child_id AS "childId" FROM offers o JOIN applications a ON a.id = o.application_id WHERE o.group_id = $1`,
      [groupId],
    );
    expect(offers.rows).toHaveLength(10);
    expect(new Set(offers.rows.map((o) => o.childId)).size).toBe(10);
    expect(new Set(offers.rows.map((o) => o.applicationId))).toEqual(new Set(expected.slice(0, 10)));
    await h.sync();
    expect((await redisOrder()).map((m) => m.split(":")[2])).toEqual(expected.slice(10));
  }, 180_000);
});
