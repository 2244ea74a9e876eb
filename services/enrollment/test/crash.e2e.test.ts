import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DEV_AUTH_SECRET, signDevToken } from "@kruzhok/http";
import { loadThenKill, retryAll, serviceUnderTest, type HttpAnswer, type ServiceUnderTest } from "@kruzhok/testkit";

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
    // Reference data, as the consumers would have written it from the registry's and the
    // catalogue's events: a municipality with its rules, free groups, children with accounting
    // certificates (every tenth in a category), each child's guardian.
    const timeZone = "Asia/Yekaterinburg";
    const year = Number(new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric" }).format(new Date()));
    const municipalityId = randomUUID();
    await pool.query("INSERT INTO municipalities (id, time_zone, updated_at) VALUES ($1, $2, now())", [municipalityId, timeZone]);
    await pool.query(
      `INSERT INTO municipality_years (municipality_id, year, categories, max_open_applications, offer_acceptance_days, provider_review_working_days)
       VALUES ($1, $2, ARRAY['orphan', 'large_family'], 5, 5, 3)`,
      [municipalityId, year],
    );
    const groupIds = Array.from({ length: GROUPS }, () => randomUUID());
    await pool.query(
      `INSERT INTO groups (id, municipality_id, program_id, provider_id, capacity, time_zone, slots, starts_on, ends_on, age_min, age_max,
                           funding_kind, accepting, status, updated_at)
       SELECT g, $2, gen_random_uuid(), gen_random_uuid(), 10, $3, '[{"weekday":2,"start":"15:00","end":"16:30"}]'::jsonb,
              make_date($4 + 1, 1, 12), make_date($4 + 1, 5, 31), 6, 14, 'free', true, 'open', now()
         FROM unnest($1::uuid[]) AS g`,
      [groupIds, municipalityId, timeZone, year],
    );
    const childIds = Array.from({ length: CHILDREN }, () => randomUUID());
    const guardianIds = Array.from({ length: CHILDREN }, () => randomUUID());
    await pool.query(
      `WITH input AS (SELECT * FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS t(child, guardian, n)),
       cert AS (
         INSERT INTO certificates (id, municipality_id, child_id, number, birth_year, status, funding, updated_at)
         SELECT gen_random_uuid(), $3, child, 'CRASH-' || n, $4 - 9, 'active', 'accounting', now() FROM input
       ), kid AS (
         INSERT INTO children (id, updated_at) SELECT child, now() FROM input
       ), cat AS (
         INSERT INTO child_categories (child_id, code) SELECT child, 'large_family' FROM input WHERE n % 10 = 0
       )
       INSERT INTO child_guardians (child_id, guardian_id) SELECT child, guardian FROM input`,
      [childIds, guardianIds, municipalityId, year],
    );
    const tokens = await Promise.all(
      childIds.map(async (_, i) => `Bearer ${await signDevToken({ subject: `crash-guardian-${i}`, role: "guardian", municipalityId, guardianId: guardianIds[i]! }, { secret: DEV_AUTH_SECRET })}`),
    );
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
    const region = `Bearer ${await signDevToken({ subject: "crash-region", role: "region" }, { secret: DEV_AUTH_SECRET })}`;
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
    const seen = await service.eventValues("kruzhok.enrollment.v1", "enrollment.application.submitted", "applicationId", CHILDREN);
    expect([...seen].sort()).toEqual(applications.rows.map((row) => row.id).sort());
  });
});
