import { randomUUID } from "node:crypto";
import { Agent, request as httpRequest } from "node:http";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, inject, it } from "vitest";
import { DEV_AUTH_SECRET, signDevToken } from "@kruzhok/http";
import { createKafka } from "@kruzhok/messaging";
import { createPool, dropDatabase, withDatabase, type Pool } from "@kruzhok/postgres";
import { freePort, startServiceProcess, waitFor, type ServiceProcess } from "@kruzhok/testkit";

// The quality bar on opening day: kill the process at any point, and after a restart no
// application is lost or doubled. Families apply through HTTP, each request with its own
// Idempotency-Key; the service is killed with SIGKILL in the middle; after the restart every
// family's app sends its request again with the same key (it got no answer, or wants to be
// sure). Every child must then have exactly one application, every answer must name it (the
// first answer and the retry's alike), the Redis queues must equal Postgres, and every
// submitted event must reach Kafka.
const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const CHILDREN = 400;
const GROUPS = 4;
const IN_FLIGHT = 24;
const KILL_AFTER_ANSWERS = 120;

interface Answer {
  status: number;
  body: string;
  replayed: boolean;
}

describe("enrollment killed while families apply", () => {
  const infra = inject("infra");
  const database = `t_enrollment_crash_${process.pid}`;
  const topicPrefix = `${database}.`;
  const redisPrefix = `${database}:`;
  const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: `${database}-test` });
  let pool: Pool | undefined;
  const processes: ServiceProcess[] = [];

  afterAll(async () => {
    for (const started of processes) started.child.kill("SIGKILL");
    await pool?.end();
    await dropDatabase(infra.databaseUrl, database);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(topicPrefix));
      if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
    } finally {
      await admin.disconnect();
    }
  });

  it("loses and doubles no application, answers every retry with the application its first attempt made, and Redis equals Postgres", async () => {
    const port = await freePort();
    const start = async (): Promise<ServiceProcess> => {
      const started = startServiceProcess(main, {
        PORT: String(port),
        HOST: "127.0.0.1",
        DATABASE_URL: infra.databaseUrl,
        SERVICE_DATABASE: database,
        REDIS_URL: infra.redisUrl,
        REDIS_KEY_PREFIX: redisPrefix,
        KAFKA_BROKERS: infra.kafkaBrokers.join(","),
        KAFKA_FAST_CONSUMERS: "true",
        KAFKA_TOPIC_PREFIX: topicPrefix,
        RATE_LIMIT_PER_MINUTE: "1000000",
        LOG_LEVEL: "warn",
      });
      processes.push(started);
      await waitFor(async () => ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200 ? true : undefined), {
        timeoutMs: 60_000,
        intervalMs: 250,
        what: `enrollment ready (output: ${started.output().slice(-500)})`,
      });
      return started;
    };

    let agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
    const send = (method: string, path: string, authorization: string, body?: unknown, key?: string): Promise<Answer> =>
      new Promise((resolve, reject) => {
        const text = body === undefined ? undefined : JSON.stringify(body);
        const headers: Record<string, string | number> = { authorization };
        if (text !== undefined) Object.assign(headers, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
        if (key) headers["idempotency-key"] = key;
        const req = httpRequest({ agent, hostname: "127.0.0.1", port, method, path, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), replayed: res.headers["idempotent-replayed"] === "true" }),
          );
        });
        req.on("error", reject);
        req.end(text);
      });

    const first = await start();
    // Reference data, as the consumers would have written it from the registry's and the
    // catalogue's events: a municipality with its rules, free groups, children with accounting
    // certificates (every tenth in a category), each child's guardian.
    pool = createPool({ connectionString: withDatabase(infra.databaseUrl, database), max: 2 });
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
    const apply = (i: number) => send("POST", "/applications", tokens[i]!, { childId: childIds[i], groupId: groupIds[i % GROUPS] }, keys[i]);
    const idOf = (answer: Answer) => (JSON.parse(answer.body) as { id: string }).id;

    // Before the kill: IN_FLIGHT requests at a time; SIGKILL once KILL_AFTER_ANSWERS came back.
    const before = new Map<number, Answer>();
    let next = 0;
    let killed = false;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (!killed && next < CHILDREN) {
          const i = next++;
          try {
            before.set(i, await apply(i));
          } catch {
            // No answer: the process died with this request in flight.
          }
          if (!killed && before.size >= KILL_AFTER_ANSWERS) {
            killed = true;
            first.child.kill("SIGKILL");
          }
        }
      }),
    );
    await first.exited;
    agent.destroy();
    const sentBeforeKill = next;
    expect(before.size).toBeGreaterThanOrEqual(KILL_AFTER_ANSWERS);
    expect(sentBeforeKill).toBeLessThan(CHILDREN);
    for (const answer of before.values()) expect(answer.status, answer.body).toBe(201);

    // After the restart: every request again, with its own key; a client waits out "in progress".
    await start();
    agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
    const after = new Map<number, Answer>();
    let cursor = 0;
    const deadline = Date.now() + 30_000;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (cursor < CHILDREN) {
          const i = cursor++;
          for (;;) {
            const answer = await apply(i);
            const inProgress = answer.status === 409 && answer.body.includes("HTTP.IDEMPOTENCY_IN_PROGRESS");
            if (!inProgress || Date.now() > deadline) {
              after.set(i, answer);
              break;
            }
            await new Promise((resolve) => setTimeout(resolve, 250));
          }
        }
      }),
    );

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
    const check = await send("GET", `/queues/check?municipalityId=${municipalityId}`, region);
    expect(check.status, check.body).toBe(200);
    expect(JSON.parse(check.body)).toMatchObject({ groups: GROUPS, entries: CHILDREN, mismatches: [] });

    // One submitted event per application in the outbox, all published, and Kafka holds each.
    const events = await pool.query<{ application_id: string; n: number }>(
      `SELECT payload::jsonb->'data'->>'applicationId' AS application_id, count(*)::int AS n FROM outbox
        WHERE type = 'enrollment.application.submitted' GROUP BY 1`,
    );
    expect(events.rows).toHaveLength(CHILDREN);
    expect(events.rows.every((row) => row.n === 1)).toBe(true);
    await waitFor(
      async () => {
        const { rows: left } = await pool!.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL");
        return left[0]?.n === 0 ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: "the relay to publish every event" },
    );
    const seen = new Set<string>();
    const consumer = kafka.consumer({ groupId: `${database}-reader` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: `${topicPrefix}kruzhok.enrollment.v1`, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const envelope = JSON.parse(message.value?.toString() ?? "{}") as { type?: string; data?: { applicationId?: string } };
          if (envelope.type === "enrollment.application.submitted" && envelope.data?.applicationId) seen.add(envelope.data.applicationId);
        },
      });
      await waitFor(() => (seen.size >= CHILDREN ? true : undefined), { timeoutMs: 60_000, intervalMs: 200, what: "every submitted event on Kafka" });
    } finally {
      await consumer.disconnect();
    }
    expect([...seen].sort()).toEqual(applications.rows.map((row) => row.id).sort());
    agent.destroy();
  });
});
