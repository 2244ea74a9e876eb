import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolate, waitFor, type Isolation } from "@kruzhok/testkit";
import { createPool, isDatabaseUnavailable, withTransaction } from "../src";

// What a restart of Postgres does to a pool, on the real server without restarting it (others
// share it): the server ends the pool's connections (pg_terminate_backend, as a shutdown does
// with admin_shutdown), idle and checked out, and the pool must go on with new ones.
describe("the pool survives its connections being cut", () => {
  let iso: Isolation;
  let admin: pg.Client;
  const applicationName = `pool-recovery-${process.pid}`;

  beforeAll(async () => {
    iso = await isolate("pool-recovery");
    admin = new pg.Client({ connectionString: iso.infra.databaseUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
    await iso.cleanup();
  });

  /** End every connection of pools named `name`, as a restarting server ends them. */
  const cut = async (name: string) =>
    (await admin.query<{ n: number }>("SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1", [name])).rows[0]!.n;

  it("a client checked out between two queries of a transaction loses its connection: the process goes on, the pool gives a fresh one", async () => {
    const lost: Error[] = [];
    const pool = createPool({ connectionString: iso.databaseUrl, max: 2, applicationName, onConnectionError: (error) => lost.push(error) });
    try {
      const client = await pool.connect();
      await client.query("BEGIN");
      expect(await cut(applicationName)).toBe(1);
      // Without a listener of its own, this 'error' event of a checked-out client was unhandled
      // and ended the process (vitest reports it as an unhandled error and fails the run).
      await waitFor(() => (lost.length > 0 ? true : undefined), { what: "the lost connection reported" });
      const failure = await client.query("SELECT 1").catch((error: unknown) => error);
      expect(isDatabaseUnavailable(failure)).toBe(true);
      client.release();
      const { rows } = await pool.query<{ one: number }>("SELECT 1 AS one");
      expect(rows[0]?.one).toBe(1);
    } finally {
      await pool.end();
    }
  });

  it("idle clients cut in the pool are replaced on the next checkout", async () => {
    const lost: Error[] = [];
    const name = `${applicationName}-idle`;
    const pool = createPool({ connectionString: iso.databaseUrl, max: 3, applicationName: name, onConnectionError: (error) => lost.push(error) });
    try {
      await Promise.all([1, 2, 3].map(() => pool.query("SELECT pg_sleep(0.01)")));
      expect(await cut(name)).toBe(3);
      await waitFor(() => (lost.length === 3 ? true : undefined), { what: "three idle connections reported lost" });
      const { rows } = await pool.query<{ one: number }>("SELECT 1 AS one");
      expect(rows[0]?.one).toBe(1);
    } finally {
      await pool.end();
    }
  });

  it("a checkout that finds no free connection in time fails with an error read as unavailable, not after the caller gave up", async () => {
    const pool = createPool({ connectionString: iso.databaseUrl, max: 1, acquireTimeoutMs: 200, applicationName: `${applicationName}-full` });
    try {
      const held = await pool.connect();
      const started = performance.now();
      const failure = await pool.query("SELECT 1").catch((error: unknown) => error);
      const waited = performance.now() - started;
      held.release();
      expect(isDatabaseUnavailable(failure)).toBe(true);
      expect(waited).toBeLessThan(5_000);
      expect((await pool.query<{ one: number }>("SELECT 1 AS one")).rows[0]?.one).toBe(1);
    } finally {
      await pool.end();
    }
  });

  it("transactions run while the server keeps cutting connections: each commits or fails as unavailable, and every one that committed is there", async () => {
    const name = `${applicationName}-traffic`;
    const pool = createPool({ connectionString: iso.databaseUrl, max: 4, acquireTimeoutMs: 2_000, applicationName: name });
    try {
      await pool.query("CREATE TABLE writes (id int PRIMARY KEY)");
      let cutting = true;
      let cuts = 0;
      const cutter = (async () => {
        while (cutting) {
          cuts += await cut(name);
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      const outcomes = await Promise.all(
        Array.from({ length: 300 }, (_, id) =>
          withTransaction(pool, async (tx) => {
            await tx.query("INSERT INTO writes (id) VALUES ($1)", [id]);
          }).then(
            () => ({ id, ok: true as const }),
            (error: unknown) => ({ id, ok: false as const, unavailable: isDatabaseUnavailable(error), error }),
          ),
        ),
      );
      cutting = false;
      await cutter;
      expect(cuts).toBeGreaterThan(0);
      const failures = outcomes.filter((o) => !o.ok);
      // Every failure is a lost connection, never anything else.
      expect(failures.filter((f) => !f.unavailable).map((f) => String(f.error))).toEqual([]);
      // Read on a connection of the test's own: the pool's may have been cut a moment ago.
      const reader = new pg.Client({ connectionString: iso.databaseUrl });
      await reader.connect();
      const { rows } = await reader.query<{ id: number }>("SELECT id FROM writes").finally(() => reader.end());
      const stored = new Set(rows.map((r) => r.id));
      // Nothing that was answered as committed is lost. (A cut during COMMIT may have committed
      // a write answered as failed: a client retries with its Idempotency-Key.)
      for (const o of outcomes) if (o.ok) expect(stored.has(o.id), `write ${o.id}`).toBe(true);
    } finally {
      await pool.end();
    }
  });
});
