import { Writable } from "node:stream";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@kruzhok/observability";
import { createPool, withTransaction, type Pool } from "@kruzhok/postgres";
import { isolate, type Isolation } from "@kruzhok/testkit";
import { buildApp, signDevToken, type HttpApp } from "../src";

const SECRET = "test-secret-that-is-at-least-32-characters-long";

// The database failing under a route: a full pool or a cut connection is our dependency's
// moment, not the client's mistake and not a bug: 503 with Retry-After as a problem document,
// answered within the pool's acquire timeout rather than whenever a connection frees up.
describe("a route whose database is unavailable answers 503 HTTP.DATABASE_UNAVAILABLE with Retry-After", () => {
  let iso: Isolation;
  let pool: Pool;
  let app: HttpApp;
  let token: string;
  let admin: pg.Client;
  const applicationName = `db-outage-${process.pid}`;

  beforeAll(async () => {
    iso = await isolate("db-outage");
    pool = createPool({ connectionString: iso.databaseUrl, max: 1, acquireTimeoutMs: 300, applicationName });
    await pool.query("CREATE TABLE notes (id serial PRIMARY KEY, text text NOT NULL)");
    const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
    app = await buildApp({ service: "db-outage", version: "1", logger: createLogger({ service: "db-outage", level: "fatal" }, quiet), auth: { mode: "dev", secret: SECRET } });
    app.post("/notes", async (_request, reply) => {
      const id = await withTransaction(pool, async (tx) => {
        const { rows } = await tx.query<{ id: number }>("INSERT INTO notes (text) VALUES ('x') RETURNING id");
        // Between two statements of a transaction, as a route awaiting Redis or a batch would be.
        await new Promise((resolve) => setImmediate(resolve));
        return rows[0]!.id;
      });
      return reply.code(201).send({ id });
    });
    await app.ready();
    token = `Bearer ${await signDevToken({ subject: "someone", role: "region", regionCode: "41" }, { secret: SECRET })}`;
    admin = new pg.Client({ connectionString: iso.infra.databaseUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await app.close();
    await admin.end();
    await pool.end();
    await iso.cleanup();
  });

  const post = () => app.inject({ method: "POST", url: "/notes", headers: { authorization: token } });

  it("no free connection within the acquire timeout: 503 problem with Retry-After, then 201 again once one is free", async () => {
    const held = await pool.connect();
    const started = performance.now();
    const refused = await post();
    expect(performance.now() - started).toBeLessThan(5_000);
    held.release();
    expect(refused.statusCode).toBe(503);
    expect(refused.headers["retry-after"]).toBe("2");
    expect(refused.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(refused.json()).toMatchObject({ status: 503, code: "HTTP.DATABASE_UNAVAILABLE", type: "urn:kruzhok:problem:HTTP.DATABASE_UNAVAILABLE" });
    expect((await post()).statusCode).toBe(201);
  });

  it("connections cut by the server mid-traffic: every request gets 201 or 503 with Retry-After, never a 500 or a hang", async () => {
    let cutting = true;
    const cutter = (async () => {
      while (cutting) {
        await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [applicationName]);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const answers = [];
    for (let i = 0; i < 60; i++) answers.push(await post());
    cutting = false;
    await cutter;
    const statuses = answers.map((a) => a.statusCode);
    expect(statuses.filter((s) => s !== 201 && s !== 503)).toEqual([]);
    for (const a of answers.filter((x) => x.statusCode === 503)) {
      expect(a.json()).toMatchObject({ code: "HTTP.DATABASE_UNAVAILABLE" });
      expect(a.headers["retry-after"]).toBe("2");
    }
    // Every 201 was committed (read on a connection of the test's own: the pool's last one may
    // have been cut a moment ago, and the request that finds it so gets 503, as above).
    const ids = answers.filter((a) => a.statusCode === 201).map((a) => a.json<{ id: number }>().id);
    const reader = new pg.Client({ connectionString: iso.databaseUrl });
    await reader.connect();
    try {
      const { rows } = await reader.query<{ id: number }>("SELECT id FROM notes WHERE id = ANY($1::int[])", [ids]);
      expect(rows.length).toBe(ids.length);
    } finally {
      await reader.end();
    }
    // Once the cuts stop, the route answers 201 again (at most one more 503 for a cut connection).
    const after = [await post(), await post()].map((a) => a.statusCode);
    expect(after.at(-1)).toBe(201);
  });
});
