import { connect } from "node:net";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@kruzhok/observability";
import { QueueFullError, createPool, migrate, type Pool } from "@kruzhok/postgres";
import { isolate, type Isolation } from "@kruzhok/testkit";
import { buildApp, httpMigrations, signDevToken, type AppOptions, type HttpApp } from "../src";
import { IdempotencyWriter } from "../src/idempotency-writes";

const SECRET = "test-secret-that-is-at-least-32-characters-long";
const quiet = () => createLogger({ service: "bounds", level: "fatal" }, new Writable({ write: (_chunk, _encoding, done) => done() }));
const token = async () => `Bearer ${await signDevToken({ subject: "someone", role: "region", regionCode: "41" }, { secret: SECRET })}`;

async function boundedApp(options: Partial<AppOptions> = {}): Promise<HttpApp> {
  const app = await buildApp({ service: "bounds", version: "1", logger: quiet(), auth: { mode: "dev", secret: SECRET }, ...options });
  app.get("/forever", () => new Promise(() => undefined));
  app.post("/queue-full", () => {
    throw new QueueFullError("64 requests of this kind are already waiting", 4);
  });
  return app;
}

// Nothing waits for ever at the HTTP edge: a handler that never answers, a client that never
// finishes its request, a queue of work that fills faster than it drains.
describe("bounded: time limits and queues of the http kit", () => {
  it("a request not answered within the handler timeout gets 503 HTTP.TIMEOUT with Retry-After", async () => {
    const app = await boundedApp({ timeouts: { handlerMs: 200 } });
    try {
      const started = performance.now();
      const res = await app.inject({ method: "GET", url: "/forever", headers: { authorization: await token() } });
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(res.statusCode).toBe(503);
      expect(res.headers["retry-after"]).toBe("2");
      expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 503, code: "HTTP.TIMEOUT" });
    } finally {
      await app.close();
    }
  });

  it("a client that sends its headers and never the rest loses its connection after the request timeout", async () => {
    const app = await boundedApp({ timeouts: { requestMs: 300, connectionMs: 60_000 } });
    try {
      await app.listen({ host: "127.0.0.1", port: 0 });
      const { port } = app.server.address() as { port: number };
      const socket = connect(port, "127.0.0.1");
      let received = "";
      socket.on("data", (chunk) => (received += String(chunk)));
      const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
      socket.write("POST /queue-full HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{");
      await closed;
      // (The missing token was refused at once; the body never came, and the connection ends.)
      const answer = received.slice(received.indexOf("HTTP/1.1 408"));
      expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(answer).toContain("Content-Type: application/problem+json");
      expect(JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4))).toMatchObject({ status: 408, code: "HTTP.REQUEST_TIMEOUT" });
    } finally {
      await app.close();
    }
  });

  it("a full queue of work answers 503 HTTP.QUEUE_FULL with its Retry-After as a problem document", async () => {
    const app = await boundedApp();
    try {
      const res = await app.inject({ method: "POST", url: "/queue-full", headers: { authorization: await token() } });
      expect(res.statusCode).toBe(503);
      expect(res.headers["retry-after"]).toBe("4");
      expect(res.json()).toMatchObject({ status: 503, code: "HTTP.QUEUE_FULL", detail: "64 requests of this kind are already waiting; retry in 4 s" });
    } finally {
      await app.close();
    }
  });

  describe("the Idempotency-Key writer", () => {
    let iso: Isolation;
    let pool: Pool;
    beforeAll(async () => {
      iso = await isolate("idempotency-bounds");
      pool = createPool({ connectionString: iso.databaseUrl, max: 2 });
      await migrate(pool, httpMigrations);
    });
    afterAll(async () => {
      await pool.end();
      await iso.cleanup();
    });

    it("refuses a claim over maxQueued at once (nothing written for it) and always takes the responses of requests already running", async () => {
      const writer = new IdempotencyWriter(pool, { ttlMs: 60_000, leaseMs: 60_000, maxQueued: 2 });
      const claim = (key: string) => ({ subject: "s", key, requestHash: "h", claim: crypto.randomUUID() });
      const a = claim("a");
      const taken = [writer.claim(a), writer.claim(claim("b"))];
      const refused = await writer.claim(claim("c")).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(QueueFullError);
      // A response is taken even while the queue is full: it finishes work already begun.
      const finished = writer.finish({ subject: "s", key: "a", claim: a.claim, status: 201, headers: {}, body: "{}" });
      expect(await Promise.all(taken)).toEqual([true, true]);
      await finished;
      const { rows } = await pool.query<{ idempotency_key: string; status: number | null }>("SELECT idempotency_key, status FROM idempotency_keys ORDER BY idempotency_key");
      expect(rows).toEqual([
        { idempotency_key: "a", status: 201 },
        { idempotency_key: "b", status: null },
      ]);
    });
  });
});
