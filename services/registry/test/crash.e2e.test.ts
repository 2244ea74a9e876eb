import { createHash } from "node:crypto";
import { Agent, request as httpRequest } from "node:http";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, inject, it } from "vitest";
import { DEV_AUTH_SECRET, signDevToken } from "@kruzhok/http";
import { createKafka } from "@kruzhok/messaging";
import { createPool, dropDatabase, withDatabase, type Pool } from "@kruzhok/postgres";
import { freePort, startServiceProcess, waitFor, type ServiceProcess } from "@kruzhok/testkit";

// The quality bar: kill the process at any point, and after a restart no certificate is lost or
// doubled. An office clerk issues certificates for a few hundred children through HTTP, each
// request with its Idempotency-Key; the registry is killed with SIGKILL in the middle; after the
// restart the clerk's software sends every request again with the same key, as a client does
// when it got no answer (or wants to be sure). Every child must then hold exactly one
// certificate, every answer must name it (the first answer and the retry's alike), no retry
// may be refused for a certificate its own first attempt issued, and every issued event must
// reach Kafka exactly once per certificate.
const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const CHILDREN = 400;
const IN_FLIGHT = 24;
const KILL_AFTER_ANSWERS = 120;

interface Answer {
  status: number;
  body: string;
  replayed: boolean;
  retryAfter: string | undefined;
}

describe("the registry killed while issuing certificates", () => {
  const infra = inject("infra");
  const database = `t_registry_crash_${process.pid}`;
  const topicPrefix = `${database}.`;
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

  it("loses and doubles no certificate, and answers every retry with the certificate its first attempt issued", async () => {
    const port = await freePort();
    const start = async (): Promise<ServiceProcess> => {
      const started = startServiceProcess(main, {
        PORT: String(port),
        HOST: "127.0.0.1",
        DATABASE_URL: infra.databaseUrl,
        SERVICE_DATABASE: database,
        REDIS_URL: infra.redisUrl,
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
        what: `the registry ready (output: ${started.output().slice(-500)})`,
      });
      return started;
    };

    let agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
    const send = (method: string, path: string, authorization: string, body: unknown, key?: string): Promise<Answer> =>
      new Promise((resolve, reject) => {
        const text = JSON.stringify(body);
        const headers: Record<string, string | number> = { authorization, "content-type": "application/json", "content-length": Buffer.byteLength(text) };
        if (key) headers["idempotency-key"] = key;
        const req = httpRequest({ agent, hostname: "127.0.0.1", port, method, path, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () => {
            const retryAfter = res.headers["retry-after"];
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString("utf8"),
              replayed: res.headers["idempotent-replayed"] === "true",
              retryAfter: typeof retryAfter === "string" ? retryAfter : undefined,
            });
          });
        });
        req.on("error", reject);
        req.end(text);
      });

    const first = await start();
    const region = `Bearer ${await signDevToken({ subject: "crash-region", role: "region" }, { secret: DEV_AUTH_SECRET })}`;
    const municipality = await send("POST", "/municipalities", region, { code: "7101", name: "Крах", regionCode: "71", timeZone: "Asia/Almaty", currency: "KZT" });
    expect(municipality.status, municipality.body).toBe(201);
    const municipalityId = (JSON.parse(municipality.body) as { id: string }).id;
    const year = await send("PUT", `/municipalities/${municipalityId}/years/${new Date().getUTCFullYear()}`, region, {
      nominal: 15_000_000,
      budget: 1_000_000_000_000,
      financedCap: 10_000,
      childrenPopulation: 10_000,
      categories: [{ code: "large_family", coefficient: 1.2 }],
      maxOpenApplications: 5,
      deadlines: { offerAcceptanceDays: 5, providerReviewWorkingDays: 3, monthCloseDay: 5 },
    });
    expect(year.status, year.body).toBeLessThan(300);

    // The children (and their guardians) are on file already; their registration is not what is tested.
    pool = createPool({ connectionString: withDatabase(infra.databaseUrl, database), max: 2 });
    const { rows } = await pool.query<{ id: string }>(
      `WITH g AS (
         INSERT INTO guardians (id, municipality_id, first_name, last_name, document_kind, document_number, document_hash)
         SELECT gen_random_uuid(), $1, 'Мать', 'Крах' || i, 'passport', i::text, md5('g' || i)
           FROM generate_series(1, $2) AS i
         RETURNING id, document_number
       ), c AS (
         INSERT INTO children (id, municipality_id, first_name, last_name, birth_date, document_kind, document_number,
                               normalised_document, document_hash, identity_key)
         SELECT gen_random_uuid(), $1, 'Ребёнок', 'Крах' || i, date '2016-05-01', 'iin', i::text, 'iin:' || i,
                md5('c' || i), 'КРАХ' || i || '|РЕБЁНОК|2016-05-01'
           FROM generate_series(1, $2) AS i
         RETURNING id, document_number
       ), link AS (
         INSERT INTO child_guardians (child_id, guardian_id) SELECT c.id, g.id FROM c JOIN g USING (document_number)
       )
       SELECT id FROM c`,
      [municipalityId, CHILDREN],
    );
    const children = rows.map((row) => row.id);
    const clerk = `Bearer ${await signDevToken({ subject: "crash-clerk", role: "operator", municipalityId }, { secret: DEV_AUTH_SECRET })}`;
    const keyOf = (childId: string) => createHash("sha1").update(`crash:${childId}`).digest("hex");
    const issue = (childId: string) => send("POST", "/certificates", clerk, { childId }, keyOf(childId));

    // Before the kill: IN_FLIGHT requests at a time; SIGKILL once KILL_AFTER_ANSWERS came back.
    const before = new Map<string, Answer>();
    let next = 0;
    let killed = false;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (!killed && next < children.length) {
          const childId = children[next++]!;
          try {
            before.set(childId, await issue(childId));
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
    expect(sentBeforeKill).toBeLessThan(children.length);
    for (const answer of before.values()) expect(answer.status, answer.body).toBe(201);

    // After the restart: every request again, with its own key; a client honours Retry-After.
    await start();
    const after = new Map<string, Answer>();
    agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
    let cursor = 0;
    const deadline = Date.now() + 30_000;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (cursor < children.length) {
          const childId = children[cursor++]!;
          for (;;) {
            const answer = await issue(childId);
            const inProgress = answer.status === 409 && answer.body.includes("HTTP.IDEMPOTENCY_IN_PROGRESS");
            if (!inProgress || Date.now() > deadline) {
              after.set(childId, answer);
              break;
            }
            await new Promise((resolve) => setTimeout(resolve, 250));
          }
        }
      }),
    );

    // Exactly one certificate per child, and every answer names it.
    const certificates = await pool.query<{ child_id: string; id: string; number: string }>("SELECT child_id, id, number FROM certificates");
    expect(certificates.rows).toHaveLength(children.length);
    const ofChild = new Map(certificates.rows.map((row) => [row.child_id, row]));
    expect(ofChild.size).toBe(children.length);
    const refused = [...after].filter(([, answer]) => answer.status !== 201).map(([childId, answer]) => `${childId}: ${answer.status} ${answer.body}`);
    expect(refused).toEqual([]);
    for (const childId of children) {
      const held = ofChild.get(childId);
      expect((JSON.parse(after.get(childId)!.body) as { number: string }).number).toBe(held?.number);
      const earlier = before.get(childId);
      if (earlier) {
        expect(after.get(childId)!.replayed).toBe(true);
        expect((JSON.parse(earlier.body) as { number: string }).number).toBe(held?.number);
      }
    }
    // Requests never sent before the kill were issued fresh, not replayed.
    for (const childId of children.slice(sentBeforeKill)) expect(after.get(childId)!.replayed).toBe(false);

    // One issued event per certificate in the outbox, all published, and Kafka holds each.
    const events = await pool.query<{ certificate_id: string; n: number }>(
      `SELECT payload::jsonb->'data'->>'certificateId' AS certificate_id, count(*)::int AS n FROM outbox
        WHERE type = 'registry.certificate.issued' GROUP BY 1`,
    );
    expect(events.rows).toHaveLength(children.length);
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
      await consumer.subscribe({ topic: `${topicPrefix}kruzhok.registry.v1`, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const envelope = JSON.parse(message.value?.toString() ?? "{}") as { type?: string; data?: { certificateId?: string } };
          if (envelope.type === "registry.certificate.issued" && envelope.data?.certificateId) seen.add(envelope.data.certificateId);
        },
      });
      await waitFor(() => (seen.size >= children.length ? true : undefined), { timeoutMs: 60_000, intervalMs: 200, what: "every issued event on Kafka" });
    } finally {
      await consumer.disconnect();
    }
    expect([...seen].sort()).toEqual(certificates.rows.map((row) => row.id).sort());
    agent.destroy();
  });
});
