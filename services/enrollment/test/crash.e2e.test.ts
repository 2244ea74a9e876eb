import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { loadThenKill, retryAll, serviceUnderTest, type HttpAnswer, type ServiceUnderTest } from "@kruzhok/testkit";
import { seedFamilies } from "./fixtures/families";

// The quality bar on opening day: kill the process at any point, and after a restart no
// application is lost or doubled. Families apply through HTTP, each request with its own
// Idempotency-Key; the service is killed with SIGKILL in the middle; after the restart every
// family's app sends its request again with the same key (it got no answer, or wants to be
// sure). Every child must then have exactly one application, every answer must name it (the
// first answer and the retry's alike), the Redis queues must equal Postgres, and every
// submitted event must reach Kafka.
const CHILDREN = 400;
const GROUPS = 4;
const IN_FLIGHT = 24;
const KILL_AFTER_ANSWERS = 120;

describe("enrollment killed while families apply", () => {
  const infra = inject("infra");
  let service: ServiceUnderTest;
  beforeAll(async () => {
    service = await serviceUnderTest(infra, {
      name: "enrollment_crash",
      main: fileURLToPath(new URL("../src/main.ts", import.meta.url)),
      maxSockets: IN_FLIGHT,
      env: { RATE_LIMIT_PER_MINUTE: "1000000", REDIS_KEY_PREFIX: `t_enrollment_crash_${process.pid}:` },
    });
  });
  afterAll(async () => service.cleanup());

  it("loses and doubles no application, answers every retry with the application its first attempt made, and Redis equals Postgres", async () => {
    const first = await service.start();
    const pool = service.pool;
    const { municipalityId, groupIds, childIds, tokens, region } = await seedFamilies(pool, { children: CHILDREN, groups: GROUPS, label: "crash" });
    const keys = childIds.map(() => randomUUID());
    const apply = (i: number) => service.send("POST", "/applications", tokens[i]!, { childId: childIds[i], groupId: groupIds[i % GROUPS] }, keys[i]);
    const idOf = (answer: HttpAnswer) => (JSON.parse(answer.body) as { id: string }).id;

    // Before the kill: IN_FLIGHT requests at a time; SIGKILL once KILL_AFTER_ANSWERS came back.
    const { answers: before, sent: sentBeforeKill } = await loadThenKill(CHILDREN, IN_FLIGHT, KILL_AFTER_ANSWERS, first, apply);
    service.reconnect();
    expect(before.size).toBeGreaterThanOrEqual(KILL_AFTER_ANSWERS);
    expect(sentBeforeKill).toBeLessThan(CHILDREN);
    for (const answer of before.values()) expect(answer.status, answer.body).toBe(201);

    // After the restart: every request again, with its own key.
    await service.start();
    const after = await retryAll(CHILDREN, IN_FLIGHT, apply);

    // Exactly one application per child, and every answer names it.
    const applications = await pool.query<{ child_id: string; id: string }>("SELECT child_id, id FROM applications");
    const ofChild = new Map(applications.rows.map((row) => [row.child_id, row.id]));
    expect(ofChild.size).toBe(CHILDREN);
    expect(applications.rows).toHaveLength(CHILDREN);
    const refused = [...after].filter(([, answer]) => answer.status !== 201).map(([i, answer]) => `${i}: ${answer.status} ${answer.body}`);
    expect(refused).toEqual([]);
    for (let i = 0; i < CHILDREN; i++) {
      expect(idOf(after.get(i)!)).toBe(ofChild.get(childIds[i]!));
      const earlier = before.get(i);
      if (earlier) {
        expect(after.get(i)!.replayed).toBe(true);
        expect(idOf(earlier)).toBe(ofChild.get(childIds[i]!));
      }
      if (i >= sentBeforeKill) expect(after.get(i)!.replayed).toBe(false);
    }

    // The queues in Redis equal Postgres, entry by entry.
    const check = await service.send("GET", `/queues/check?municipalityId=${municipalityId}`, region);
    expect(check.status, check.body).toBe(200);
    expect(JSON.parse(check.body)).toMatchObject({ groups: GROUPS, entries: CHILDREN, mismatches: [] });

    // One submitted event per application in the outbox, all published, and Kafka holds each.
    const events = await pool.query<{ application_id: string; n: number }>(
      `SELECT payload::jsonb->'data'->>'applicationId' AS application_id, count(*)::int AS n FROM outbox
        WHERE type = 'enrollment.application.submitted' GROUP BY 1`,
    );
    expect(events.rows).toHaveLength(CHILDREN);
    expect(events.rows.every((row) => row.n === 1)).toBe(true);
    await service.outboxDrained();
    const seen = await service.eventValues("kruzhok.enrollment.v1", "enrollment.application.submitted", "applicationId");
    expect([...seen].sort()).toEqual(applications.rows.map((row) => row.id).sort());
  });
});
