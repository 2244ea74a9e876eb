import { createServer, connect, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolate, type Isolation } from "@kruzhok/testkit";
import { createPool, isDatabaseUnavailable, withDatabase, withTransaction } from "../src";

/**
 * A TCP proxy in front of Postgres that the test can freeze: bytes stop flowing both ways while
 * the connections stay open, as on a network that dropped its packets (no RST, no FIN).
 */
async function freezableProxy(target: { host: string; port: number }) {
  let frozen = false;
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const forward = (from: Socket, to: Socket) =>
      from.on("data", (chunk) => {
        if (!frozen) to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    const close = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", close).on("error", close);
    upstream.on("close", close).on("error", close);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    freeze: () => void (frozen = true),
    thaw: () => void (frozen = false),
    close: async () => {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

// No query waits for ever on a server that stopped answering: the statement timeout cannot fire
// (the server never sees it), so the client gives up at statement timeout + 5 s with an error the
// http kit answers 503; a checkout that cannot even connect gives up at the acquire timeout.
describe("a pool whose network to Postgres freezes", () => {
  let iso: Isolation;
  let proxy: Awaited<ReturnType<typeof freezableProxy>>;
  beforeAll(async () => {
    iso = await isolate("frozen-network");
    const url = new URL(iso.databaseUrl);
    proxy = await freezableProxy({ host: url.hostname, port: Number(url.port || 5432) });
  });
  afterAll(async () => {
    await proxy.close();
    await iso.cleanup();
  });

  it("fails a query in flight after the client-side timeout and a new checkout after the acquire timeout, then works again once the network does", async () => {
    const url = new URL(iso.databaseUrl);
    url.host = `127.0.0.1:${proxy.port}`;
    const pool = createPool({ connectionString: withDatabase(url.toString(), url.pathname.slice(1)), max: 1, statementTimeoutMs: 200, acquireTimeoutMs: 500 });
    try {
      expect((await pool.query<{ one: number }>("SELECT 1 AS one")).rows[0]?.one).toBe(1);
      proxy.freeze();
      let started = performance.now();
      const inFlight = await pool.query("SELECT 1").catch((error: unknown) => error);
      expect(performance.now() - started).toBeLessThan(15_000);
      expect(isDatabaseUnavailable(inFlight), String(inFlight)).toBe(true);

      started = performance.now();
      const busy = await pool.query("SELECT 1").catch((error: unknown) => error);
      expect(performance.now() - started).toBeLessThan(15_000);
      expect(isDatabaseUnavailable(busy), String(busy)).toBe(true);

      proxy.thaw();
      // The stuck connection is not handed out again: the pool answers on a fresh one.
      const { rows } = await pool.query<{ two: number }>("SELECT 2 AS two");
      expect(rows[0]?.two).toBe(2);

      // The same inside a transaction: it fails in bounded time, and its stuck connection is
      // discarded rather than pooled, so the next request does not wait on it in turn.
      proxy.freeze();
      started = performance.now();
      const inTransaction = await withTransaction(pool, (tx) => tx.query("SELECT 3")).catch((error: unknown) => error);
      expect(performance.now() - started).toBeLessThan(15_000);
      expect(isDatabaseUnavailable(inTransaction), String(inTransaction)).toBe(true);
      proxy.thaw();
      started = performance.now();
      expect((await pool.query<{ four: number }>("SELECT 4 AS four")).rows[0]?.four).toBe(4);
      expect(performance.now() - started).toBeLessThan(3_000);
    } finally {
      await pool.end().catch(() => undefined);
    }
  });
});
