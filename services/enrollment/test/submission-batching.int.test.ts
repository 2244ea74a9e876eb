import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PoolClient } from "@kruzhok/postgres";
import { waitFor } from "@kruzhok/testkit";
import { CATEGORIES, apply, child, enrollmentHarness, openGroup, world, type Child, type EnrollmentHarness, type World } from "./fixtures/enrollment";

// Group commit of submissions (usecases/submission-batcher.ts): applications that arrive
// together share one transaction, and each still gets the answer it would have got alone, in the
// order the rules give. A batch that fails as a whole goes again one submission at a time.

describe("submissions arriving together share a transaction", () => {
  let h: EnrollmentHarness;
  let w: World;

  beforeAll(async () => {
    h = await enrollmentHarness("enr-batching", { poolSize: 10 });
    w = await world(h, { maxOpenApplications: 2 });
    h.clock.set("2026-09-01T09:00:00Z");
  });
  afterAll(async () => {
    await h.close();
  });

  /** The transactions that inserted the group's applications (rows one transaction inserted share its xmin). */
  const transactionsOf = async (groupId: string) => {
    const { rows } = await h.pool.query<{ tx: string; n: number }>(
      "SELECT xmin::text AS tx, count(*)::int AS n FROM applications WHERE group_id = $1 GROUP BY xmin",
      [groupId],
    );
    return rows;
  };

  it("gives each application its own answer, as if alone, in fewer transactions than applications", async () => {
    const { groupId, programId } = await openGroup(h, w, { capacity: 5 });
    const { groupId: sameProgram } = await openGroup(h, w, { programId });
    const { groupId: second } = await openGroup(h, w);
    const { groupId: third } = await openGroup(h, w);
    const kids: (Child & { categories: string[] })[] = [];
    for (let i = 0; i < 150; i++) {
      const categories = i % 4 === 0 ? [] : [CATEGORIES[i % CATEGORIES.length]!];
      kids.push({ ...(await child(h, w, { categories })), categories });
    }
    const stranger = await child(h, w);
    // Every child applies to the group; some a second time at once (a double click), some to a
    // group of the same program, some to two more groups (the municipality allows two open
    // applications); a guardian for a child not theirs; a group nobody knows.
    type Expect = "accepted" | "duplicate" | "same-program" | "over-cap" | "not-yours" | "no-group";
    const sent: { k: Child; groupId: string; expect: Expect; as?: Child }[] = [];
    for (const [i, k] of kids.entries()) {
      sent.push({ k, groupId, expect: "accepted" });
      if (i % 10 === 1) sent.push({ k, groupId, expect: "duplicate" });
      if (i % 10 === 2) sent.push({ k, groupId: sameProgram, expect: "same-program" });
      if (i % 10 === 3) sent.push({ k, groupId: second, expect: "accepted" }, { k, groupId: third, expect: "over-cap" });
      if (i % 10 === 4) sent.push({ k: stranger, groupId, expect: "not-yours", as: k });
      if (i % 10 === 5) sent.push({ k, groupId: randomUUID(), expect: "no-group" });
    }
    const answers = await Promise.all(
      sent.map(async (s) => {
        const res = await apply(h, (s.as ?? s.k).guardian, s.k.childId, s.groupId);
        return { ...s, status: res.statusCode, body: res.json<{ id?: string; code?: string }>() };
      }),
    );

    // Per child and group, what a child's applications made one after another would get: the
    // first of a child to a program is accepted and the other refused, whichever came first; the
    // third open application is refused whichever of the three it was.
    const byChild = new Map<string, typeof answers>();
    for (const a of answers) byChild.set(a.k.childId, [...(byChild.get(a.k.childId) ?? []), a]);
    for (const [i, k] of kids.entries()) {
      const own = byChild.get(k.childId)!.filter((a) => a.expect !== "not-yours" && a.expect !== "no-group");
      const accepted = own.filter((a) => a.status === 201);
      const refused = own.filter((a) => a.status !== 201).map((a) => a.body.code);
      if (i % 10 === 1 || i % 10 === 2) {
        expect(accepted).toHaveLength(1);
        expect(refused).toEqual(["ENROLLMENT.ALREADY_APPLYING_TO_PROGRAM"]);
      } else if (i % 10 === 3) {
        expect(accepted).toHaveLength(2);
        expect(refused).toEqual(["ENROLLMENT.TOO_MANY_OPEN_APPLICATIONS"]);
      } else {
        expect(accepted).toHaveLength(1);
        expect(refused).toEqual([]);
      }
    }
    expect(answers.filter((a) => a.expect === "not-yours").map((a) => [a.status, a.body.code])).toEqual(Array.from({ length: 15 }, () => [403, "ENROLLMENT.NOT_YOUR_CHILD"]));
    expect(answers.filter((a) => a.expect === "no-group").map((a) => [a.status, a.body.code])).toEqual(Array.from({ length: 15 }, () => [404, "ENROLLMENT.GROUP_NOT_FOUND"]));
    expect(answers.filter((a) => a.status >= 500)).toEqual([]);

    // Postgres holds exactly the accepted applications, one per answer.
    const acceptedIds = answers.filter((a) => a.status === 201).map((a) => a.body.id!);
    const { rows } = await h.pool.query<{ id: string; groupId: string; childId: string; rank: number; micros: number }>(
      `SELECT id, group_id AS "groupId", child_id AS "childId", category_rank AS rank, (extract(epoch FROM accepted_at) * 1000000)::bigint AS micros
         FROM applications WHERE group_id = ANY($1::uuid[])`,
      [[groupId, sameProgram, second, third]],
    );
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(acceptedIds));
    expect(rows).toHaveLength(acceptedIds.length);

    // Shared transactions: without the batcher every application commits alone.
    const transactions = await transactionsOf(groupId);
    const inGroup = rows.filter((r) => r.groupId === groupId);
    expect(inGroup).toHaveLength(answers.filter((a) => a.groupId === groupId && a.status === 201).length);
    expect(inGroup.length).toBeGreaterThan(kids.length - 15);
    expect(transactions.length).toBeLessThan(inGroup.length / 3);
    expect(Math.max(...transactions.map((t) => t.n))).toBeGreaterThan(5);

    // The queue is in the rule's order, every accepted-at distinct (stamped row by row under the
    // group's lock), and the Redis index equals Postgres.
    const expected = [...inGroup].sort((a, b) => a.rank - b.rank || a.micros - b.micros || (a.id < b.id ? -1 : 1)).map((r) => r.id);
    const queue = await h.app.inject({ method: "GET", url: `/groups/${groupId}/queue?limit=1000`, headers: w.provider });
    expect(queue.json<{ applicationId: string }[]>().map((e) => e.applicationId)).toEqual(expected);
    expect(new Set(inGroup.map((r) => r.micros)).size).toBe(inGroup.length);
    expect((await h.queues.members(groupId)).map((m) => m.split(":")[2])).toEqual(expected);
    expect((await h.app.inject({ method: "GET", url: "/queues/check", headers: w.region })).json()).toMatchObject({ mismatches: [] });

    // One submitted event per application.
    const events = await h.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM outbox WHERE type = 'enrollment.application.submitted' AND payload::jsonb->'data'->>'applicationId' = ANY($1)",
      [acceptedIds],
    );
    expect(events.rows[0]?.n).toBe(acceptedIds.length);
  }, 120_000);

  it("sends a batch that fails as a whole again one by one: a group that joined a campaign meanwhile refuses, the others accept", async () => {
    const { groupId: campaignGroup } = await openGroup(h, w);
    const { groupId: other } = await openGroup(h, w);
    const blocker = await child(h, w);
    const kids: Child[] = [];
    for (let i = 0; i < 10; i++) kids.push(await child(h, w));

    const hold = async () => {
      const client = await h.pool.connect();
      await client.query("BEGIN");
      return client;
    };
    /** A session of this database visibly waits for a lock of this kind. */
    const waiting = (what: string) =>
      waitFor(
        async () => {
          const { rows } = await h.pool.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = $1",
            [what],
          );
          return (rows[0]?.n ?? 0) > 0 ? true : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 25, what: `someone waiting on a ${what} lock` },
      );
    /** The service holds `n` submissions it has not answered yet (its metric), waiting for a batch or in one. */
    const inFlight = (n: number) =>
      waitFor(
        async () => {
          const metrics = (await h.app.inject({ method: "GET", url: "/metrics" })).body;
          return new RegExp(`^enrollment_submissions_in_flight\\{[^}]*\\} ${n}$`, "m").test(metrics) ? true : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 25, what: `${n} submissions in flight` },
      );
    const end = async (client: PoolClient) => {
      await client.query("COMMIT");
      client.release();
    };

    // A transaction holds the blocker child's row: its lone submission waits in the first batch,
    // and the next ten gather behind it into one batch. Another holds the campaign group's queue
    // lock: that batch waits for it after reading its facts, while the group joins a campaign.
    const childLock = await hold();
    await childLock.query("SELECT 1 FROM children WHERE id = $1 FOR UPDATE", [blocker.childId]);
    const queueLock = await hold();
    await queueLock.query("SELECT pg_advisory_xact_lock(hashtextextended('enrollment.queue:' || $1::uuid::text, 0))", [campaignGroup]);
    const first = apply(h, blocker.guardian, blocker.childId, other);
    await waiting("transactionid");
    const together = Promise.all(kids.map((k, i) => apply(h, k.guardian, k.childId, i % 2 === 0 ? campaignGroup : other)));
    // All ten wait behind the first batch before it may commit: then they go as one batch.
    await inFlight(1 + kids.length);
    await end(childLock);
    expect((await first).statusCode).toBe(201);
    await waiting("advisory");
    const campaignId = randomUUID();
    await queueLock.query(
      `INSERT INTO campaigns (id, municipality_id, name, max_choices, opens_at, closes_at, status, seed, seed_commitment, algorithm, created_by, created_at)
       VALUES ($1, $2, 'Autumn', 3, $3, $4, 'announced', 'seed', 'commitment', 'deferred-acceptance', 'test', $3)`,
      [campaignId, w.municipalityId, new Date("2026-09-01T00:00:00Z"), new Date("2026-09-10T00:00:00Z")],
    );
    await queueLock.query("INSERT INTO campaign_groups (campaign_id, group_id, position) VALUES ($1, $2, 0)", [campaignId, campaignGroup]);
    await end(queueLock);

    const answers = (await together).map((res, i) => ({ i, status: res.statusCode, body: res.json<{ id?: string; code?: string }>() }));
    for (const a of answers) {
      if (a.i % 2 === 0) expect([a.status, a.body.code]).toEqual([409, "ENROLLMENT.GROUP_IN_CAMPAIGN"]);
      else expect(a.status, JSON.stringify(a.body)).toBe(201);
    }
    expect((await h.pool.query("SELECT 1 FROM applications WHERE group_id = $1", [campaignGroup])).rowCount).toBe(0);
    // The accepted five went again each in a transaction of its own (the batch wrote nothing).
    const transactions = await transactionsOf(other);
    expect(transactions.reduce((n, t) => n + t.n, 0)).toBe(6);
    expect(transactions.filter((t) => t.n === 1)).toHaveLength(6);
  }, 60_000);
});
