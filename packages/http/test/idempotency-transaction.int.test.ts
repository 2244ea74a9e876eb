import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { requireRole, type Actor } from "@kruzhok/actor";
import { createLogger, createMetricsRegistry } from "@kruzhok/observability";
import { createPool, migrate, withTransaction, type Pool } from "@kruzhok/postgres";
import { expectOneRunAmongDuplicates, isolate, waitFor, type Isolation } from "@kruzhok/testkit";
import { buildApp, httpMigrations, requireActor, sendResponse, signDevToken, type HttpApp, type ResponseValue } from "../src";
import { TransactionalKey } from "../src/idempotency";

const SECRET = "test-secret-that-is-at-least-32-characters-long";

function gate() {
  let open = () => undefined as void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { open, wait };
}

// Routes with `config: { idempotency: "in-transaction" }`: the key is claimed and the response
// recorded in the route's own transaction, beside its effect.
describe("Idempotency-Key claimed and recorded in the route's transaction", () => {
  let iso: Isolation;
  let pool: Pool;
  let app: HttpApp;
  let auth: { authorization: string };
  let subject: string;
  /** POST /payments waits for this after its commit, before answering. */
  let answered = gate();
  const failNext = { after: false };

  beforeAll(async () => {
    iso = await isolate("http-idempotency-tx");
    pool = createPool({ connectionString: iso.databaseUrl, max: 5 });
    await migrate(pool, [
      ...httpMigrations,
      { name: "0001_payments.sql", sql: "CREATE TABLE payments (id uuid PRIMARY KEY, amount int NOT NULL CHECK (amount > 0))" },
    ]);
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    app = await buildApp({
      service: "test-service",
      version: "1.0.0",
      logger: createLogger({ service: "test-service", level: "info" }, sink),
      auth: { mode: "dev", secret: SECRET },
      metrics: createMetricsRegistry("test-service", false),
      idempotency: { pool },
      readiness: [],
    });
    app.post(
      "/payments",
      {
        config: { idempotency: "in-transaction" },
        schema: {
          body: z.strictObject({ amount: z.number().int() }),
          response: { 201: z.object({ id: z.uuid(), amount: z.number() }), 400: z.object({ refused: z.string() }) },
        },
      },
      async (request, reply) => {
        requireRole(requireActor(request), "guardian");
        if (request.body.amount > 1_000) return reply.code(400).send({ refused: "too much" });
        const key = request.idempotency;
        const id = randomUUID();
        // A plain value: what a use case would hand back, recorded with no reply at hand.
        const created: ResponseValue = {
          status: 201,
          headers: { location: `/payments/${id}` },
          body: { id, amount: request.body.amount, dropped: "not in the schema" },
        };
        const taken = await withTransaction(pool, async (tx) => {
          if (key && !(await key.claimIn(tx))) return true;
          await tx.query("INSERT INTO payments (id, amount) VALUES ($1, $2)", [id, request.body.amount]);
          await key?.recordIn(tx, created);
          if (failNext.after) {
            failNext.after = false;
            throw new Error("the transaction breaks after the response was recorded");
          }
          return false;
        });
        if (taken && key) return key.answer(request, reply);
        await answered.wait;
        return sendResponse(reply, created, key);
      },
    );
    await app.ready();
    subject = `guardian-${randomUUID()}`;
    const actor: Actor = { subject, role: "guardian", municipalityId: randomUUID(), guardianId: randomUUID() };
    auth = { authorization: `Bearer ${await signDevToken(actor, { secret: SECRET })}` };
  });
  afterAll(async () => {
    await app.close();
    await pool.end();
    await iso.cleanup();
  });

  const pay = (key: string, amount: number) =>
    app.inject({ method: "POST", url: "/payments", headers: { ...auth, "idempotency-key": key }, payload: { amount } });
  const payments = async () => (await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM payments")).rows[0]!.n;
  const keyRow = async (key: string) =>
    (
      await pool.query<{ status: number | null; body: string | null; key_xmin: string; payment_xmin: string | null }>(
        `SELECT k.status, k.body, k.xmin::text AS key_xmin,
                (SELECT p.xmin::text FROM payments p WHERE p.id::text = k.body::json->>'id') AS payment_xmin
           FROM idempotency_keys k WHERE k.subject = $1 AND k.idempotency_key = $2`,
        [subject, key],
      )
    ).rows[0];

  it("records the response with the effect: a retry gets it replayed while the first answer has not left yet", async () => {
    answered = gate();
    const key = randomUUID();
    const first = pay(key, 500);
    // The effect committed and the first request waits to answer: the key is finished already.
    const row = await waitFor(async () => {
      const found = await keyRow(key);
      return found?.status === 201 ? found : undefined;
    });
    expect(row.key_xmin).toBe(row.payment_xmin);
    const retry = await pay(key, 500);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers["idempotent-replayed"]).toBe("true");
    answered.open();
    const answer = await first;
    expect(answer.statusCode).toBe(201);
    expect(answer.headers["idempotent-replayed"]).toBeUndefined();
    // Serialized with the route's schema, sent and recorded as the very same text.
    expect(answer.json()).toEqual({ id: expect.any(String) as string, amount: 500 });
    expect(retry.body).toBe(answer.body);
    expect(retry.headers.location).toBe(answer.headers.location);
    expect(retry.headers["content-type"]).toBe(answer.headers["content-type"]);
    expect(row.body).toBe(answer.body);
  });

  it("rolls the claim back with the effect: no key is left behind, and a retry runs", async () => {
    answered.open();
    const before = await payments();
    const key = randomUUID();
    failNext.after = true;
    expect((await pay(key, 300)).statusCode).toBe(500);
    expect(await keyRow(key)).toBeUndefined();
    expect(await payments()).toBe(before);
    const retry = await pay(key, 300);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers["idempotent-replayed"]).toBeUndefined();
    expect(await payments()).toBe(before + 1);
  });

  it("answers 422 to the same key with another body, and remembers a refusal decided before the transaction", async () => {
    answered.open();
    const key = randomUUID();
    expect((await pay(key, 200)).statusCode).toBe(201);
    const reused = await pay(key, 201);
    expect(reused.statusCode).toBe(422);
    expect(reused.json()).toMatchObject({ code: "HTTP.IDEMPOTENCY_KEY_REUSED" });

    const refusedKey = randomUUID();
    const refused = await pay(refusedKey, 5_000);
    expect(refused.statusCode).toBe(400);
    // Refused again before the key is consulted: the same answer, decided afresh at no cost.
    const again = await pay(refusedKey, 5_000);
    expect([again.statusCode, again.body]).toEqual([400, refused.body]);
    // The key holds the refusal: another request under it is misuse, not a first run.
    const other = await pay(refusedKey, 50);
    expect(other.statusCode).toBe(422);
    expect(await keyRow(refusedKey)).toMatchObject({ status: 400, body: refused.body });
  });

  it("runs one of concurrent duplicates; the others get 409 or the replay", async () => {
    answered.open();
    const before = await payments();
    const key = randomUUID();
    const responses = await Promise.all(Array.from({ length: 6 }, () => pay(key, 700)));
    expectOneRunAmongDuplicates(responses);
    expect(await payments()).toBe(before + 1);
  });

  it("records a plain response value, with a JSON content type unless it names one", async () => {
    const options = { ttlMs: 60_000, leaseMs: 60_000 };
    const json = new TransactionalKey(subject, randomUUID(), "hash-json", randomUUID(), options);
    const text = new TransactionalKey(subject, randomUUID(), "hash-text", randomUUID(), options, (_status, body) => String(body));
    await withTransaction(pool, async (tx) => {
      expect(await json.claimIn(tx)).toBe(true);
      expect(await text.claimIn(tx)).toBe(true);
      await json.recordIn(tx, { status: 202, headers: { Location: "/held/1", "x-not-replayed": "1" }, body: { held: true } });
      await text.recordIn(tx, { status: 201, headers: { "content-type": "text/plain" }, body: "noted" });
    });
    const row = async (key: TransactionalKey) =>
      (await pool.query<{ status: number; headers: unknown; body: string }>("SELECT status, headers, body FROM idempotency_keys WHERE subject = $1 AND idempotency_key = $2", [subject, key.key]))
        .rows[0];
    expect(await row(json)).toEqual({ status: 202, headers: { "content-type": "application/json; charset=utf-8", location: "/held/1" }, body: '{"held":true}' });
    expect(await row(text)).toEqual({ status: 201, headers: { "content-type": "text/plain" }, body: "noted" });
  });

  it("leaves room on the table's pages for the response to be written beside its claim", async () => {
    const { rows } = await pool.query<{ reloptions: string[] | null }>("SELECT reloptions FROM pg_class WHERE relname = 'idempotency_keys'");
    expect(rows[0]?.reloptions).toContain("fillfactor=50");
  });

  it("claims the keys of one transaction in one statement: a key given twice is owned once, the other answered 409 or 422", async () => {
    const options = { ttlMs: 60_000, leaseMs: 60_000 };
    const key = randomUUID();
    const keys = [
      new TransactionalKey(subject, key, "hash-a", randomUUID(), options),
      new TransactionalKey(subject, randomUUID(), "hash-b", randomUUID(), options),
      new TransactionalKey(subject, key, "hash-a", randomUUID(), options),
      new TransactionalKey(subject, key, "hash-other", randomUUID(), options),
    ];
    let statements = 0;
    const owned = await withTransaction(pool, (tx) => {
      // The same connection, counting what is sent on it.
      const counted = new Proxy(tx, {
        get: (target, property) =>
          property === "query" ? (...args: Parameters<typeof tx.query>) => (statements++, target.query(...args)) : (Reflect.get(target, property) as unknown),
      });
      return Promise.all(keys.map((k) => k.claimIn(counted)));
    });
    expect(owned).toEqual([true, true, false, false]);
    expect(statements).toBe(1);
    const codeOf = (k: TransactionalKey) => {
      try {
        k.answer({ log: { info: () => undefined } } as never, {} as never);
        return "answered";
      } catch (error) {
        return (error as { code?: string }).code;
      }
    };
    expect([codeOf(keys[2]!), codeOf(keys[3]!)]).toEqual(["HTTP.IDEMPOTENCY_IN_PROGRESS", "HTTP.IDEMPOTENCY_KEY_REUSED"]);
    const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM idempotency_keys WHERE subject = $1 AND claim = ANY($2::uuid[])", [
      subject,
      keys.map((k) => k.claim),
    ]);
    expect(rows[0]!.n).toBe(2);
  });
});
