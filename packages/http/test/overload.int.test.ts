import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@kruzhok/observability";
import { buildApp, signDevToken, type HttpApp } from "../src";
import type { OverloadOptions } from "../src/overload";

const SECRET = "test-secret-that-is-at-least-32-characters-long";

/** An app with a route that waits for a gate (budget 2 of its own) and one that answers at once. */
async function overloadApp(overload?: OverloadOptions) {
  const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
  const app: HttpApp = await buildApp({
    service: "test-overload",
    version: "1.0.0",
    logger: createLogger({ service: "test-overload", level: "warn" }, quiet),
    auth: { mode: "dev", secret: SECRET },
    overload,
  });
  let entered = 0;
  let open = () => undefined as void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  app.get("/slow", { config: { overload: { maxInFlight: 2, retryAfterSeconds: 2 } } }, async () => {
    entered++;
    await gate;
    return { ok: true };
  });
  app.get("/fast", async () => ({ ok: true }));
  let streaming = 0;
  // A long-lived response (Server-Sent Events): held open until the gate opens, on its own budget of 3.
  app.get("/stream", { config: { overload: { maxInFlight: 3, stream: true } } }, async () => {
    streaming++;
    await gate;
    return { ok: true };
  });
  await app.ready();
  const token = `Bearer ${await signDevToken({ subject: "someone", role: "region", regionCode: "41" }, { secret: SECRET })}`;
  const get = (url: string, authorization: string | undefined = token) => app.inject({ method: "GET", url, headers: authorization ? { authorization } : {} });
  /** Until `n` requests are inside the slow handler. */
  const inside = async (n: number) => {
    while (entered < n) await new Promise((resolve) => setImmediate(resolve));
  };
  const streams = async (n: number) => {
    while (streaming < n) await new Promise((resolve) => setImmediate(resolve));
  };
  return { app, get, inside, open, streams };
}

describe("load shedding: 503 with Retry-After past the budget, a problem document with a stable code", () => {
  describe("a route's own budget", () => {
    let t: Awaited<ReturnType<typeof overloadApp>>;
    beforeAll(async () => {
      t = await overloadApp();
    });
    afterAll(async () => {
      t.open();
      await t.app.close();
    });

    it("refuses the request over the route's budget at once, keeps other routes answering, and takes requests again when one finishes", async () => {
      const held = [t.get("/slow"), t.get("/slow")];
      await t.inside(2);

      const refused = await t.get("/slow");
      expect(refused.statusCode).toBe(503);
      expect(refused.headers["retry-after"]).toBe("2");
      expect(refused.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(refused.headers["x-request-id"]).toEqual(expect.any(String));
      expect(refused.json()).toMatchObject({
        type: "urn:kruzhok:problem:HTTP.OVERLOADED",
        status: 503,
        code: "HTTP.OVERLOADED",
        instance: "/slow",
        requestId: refused.headers["x-request-id"],
      });
      // Refused before the token is even looked at: shedding costs less than the work it sheds.
      expect((await t.get("/slow", undefined)).statusCode).toBe(503);
      // A bulkhead: the other route still answers.
      expect((await t.get("/fast")).statusCode).toBe(200);

      t.open();
      expect((await Promise.all(held)).map((r) => r.statusCode)).toEqual([200, 200]);
      expect((await t.get("/slow")).statusCode).toBe(200);
      // A request that was refused does not hold the budget: more than two in a row pass now.
      for (let i = 0; i < 3; i++) expect((await t.get("/slow")).statusCode).toBe(200);
    });
  });

  describe("the app's budget", () => {
    let t: Awaited<ReturnType<typeof overloadApp>>;
    beforeAll(async () => {
      t = await overloadApp({ maxInFlight: 2, retryAfterSeconds: 3 });
    });
    afterAll(async () => {
      t.open();
      await t.app.close();
    });

    it("counts every non-public route, never refuses health probes, and counts errors as finished", async () => {
      const held = [t.get("/slow"), t.get("/slow")];
      await t.inside(2);
      const refused = await t.get("/fast");
      expect(refused.statusCode).toBe(503);
      expect(refused.headers["retry-after"]).toBe("3");
      expect(refused.json()).toMatchObject({ code: "HTTP.OVERLOADED" });
      expect((await t.app.inject({ method: "GET", url: "/livez" })).statusCode).toBe(200);
      // A route that does not exist is not work to shed: 404 as ever.
      expect((await t.get("/nowhere")).statusCode).toBe(404);

      t.open();
      await Promise.all(held);
      // A refused token (401) finishes its request like any other: the budget is free again.
      for (let i = 0; i < 3; i++) expect((await t.get("/fast", "Bearer nonsense")).statusCode).toBe(401);
      expect((await t.get("/fast")).statusCode).toBe(200);
    });
  });

  describe("a stream route's budget", () => {
    let t: Awaited<ReturnType<typeof overloadApp>>;
    beforeAll(async () => {
      t = await overloadApp({ maxInFlight: 2 });
    });
    afterAll(async () => {
      t.open();
      await t.app.close();
    });

    it("does not count open streams against the app's budget, only against their route's own", async () => {
      const open = [t.get("/stream"), t.get("/stream"), t.get("/stream")];
      await t.streams(3);
      // Three subscribers hold their responses open, more than the app's budget of 2: other routes still answer.
      expect((await t.get("/fast")).statusCode).toBe(200);
      expect((await t.get("/fast")).statusCode).toBe(200);
      // The stream route's own budget is full.
      const refused = await t.get("/stream");
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toMatchObject({ code: "HTTP.OVERLOADED" });
      t.open();
      expect((await Promise.all(open)).map((r) => r.statusCode)).toEqual([200, 200, 200]);
    });
  });
});
