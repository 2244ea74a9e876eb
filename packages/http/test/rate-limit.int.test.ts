import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolate, type Isolation } from "@kruzhok/testkit";
import { buildTestApp, guardian, type TestApp } from "./fixtures/app";

const municipalityId = randomUUID();

describe("rate limit, counted in Redis", () => {
  let iso: Isolation;
  let t: TestApp;
  beforeAll(async () => {
    iso = await isolate("http-rate-limit");
    t = await buildTestApp(iso, { rateLimit: { max: 3, timeWindowMs: 60_000 } });
  });
  afterAll(async () => {
    await t.close();
    await iso.cleanup();
  });

  const ping = (token?: string) =>
    t.app.inject({
      method: "GET",
      url: `/municipalities/${municipalityId}/report`,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });

  it("answers the request over the limit with 429 and Retry-After, per subject", async () => {
    const subject = `mun-${randomUUID()}`;
    const token = await t.token({ subject, role: "municipality", municipalityId });
    for (let i = 0; i < 3; i++) expect((await ping(token)).statusCode).toBe(200);
    const limited = await ping(token);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(limited.json()).toMatchObject({ code: "HTTP.RATE_LIMITED", status: 429 });
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);

    // Another subject has its own allowance.
    const other = await t.token({ subject: `mun-${randomUUID()}`, role: "municipality", municipalityId });
    expect((await ping(other)).statusCode).toBe(200);

    // The counters are in Redis (so replicas share them), under this file's prefix.
    const raw = new Redis(iso.redisUrl);
    try {
      const keys = await raw.keys(`${iso.redisPrefix}test-service:rate-limit:*`);
      expect(keys.some((key) => key.endsWith(`sub:${subject}`))).toBe(true);
    } finally {
      raw.disconnect();
    }
  });

  it("counts requests with a bad token by IP, so token guessing is throttled too", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await ping("not-a-token")).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it("keeps health probes out of the limit", async () => {
    for (let i = 0; i < 5; i++) expect((await t.app.inject({ method: "GET", url: "/livez" })).statusCode).toBe(200);
  });

  it("applies to unknown routes as well", async () => {
    const token = await t.token(guardian(municipalityId));
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await t.app.inject({ method: "GET", url: "/nowhere", headers: { authorization: `Bearer ${token}` } });
      statuses.push(response.statusCode);
    }
    expect(statuses).toEqual([404, 404, 404, 429]);
  });
});

describe("rate limit keyed by the client address", () => {
  const ping = (app: TestApp["app"], remoteAddress: string, forwardedFor?: string) =>
    app.inject({ method: "GET", url: "/public/ping", remoteAddress, headers: forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor } });
  const statuses = async (calls: (() => Promise<{ statusCode: number }>)[]) => {
    const seen: number[] = [];
    for (const call of calls) seen.push((await call()).statusCode);
    return seen;
  };

  describe("without a trusted proxy", () => {
    let iso: Isolation;
    let t: TestApp;
    beforeAll(async () => {
      iso = await isolate("http-rate-limit-direct");
      t = await buildTestApp(iso, { rateLimit: { max: 3, timeWindowMs: 60_000 } });
    });
    afterAll(async () => {
      await t.close();
      await iso.cleanup();
    });

    it("ignores X-Forwarded-For: a client that forges a new one with every request keeps its own count", async () => {
      const forged = ["203.0.113.1", "203.0.113.2", "203.0.113.3, 10.0.0.1", "203.0.113.4"];
      expect(await statuses(forged.map((header) => () => ping(t.app, "198.51.100.7", header)))).toEqual([200, 200, 200, 429]);
      // Another peer has its own allowance.
      expect((await ping(t.app, "198.51.100.8")).statusCode).toBe(200);
      const raw = new Redis(iso.redisUrl);
      try {
        const keys = await raw.keys(`${iso.redisPrefix}test-service:rate-limit:*`);
        expect(keys.filter((key) => key.includes("ip:")).map((key) => key.slice(key.indexOf("ip:"))).sort()).toEqual(["ip:198.51.100.7", "ip:198.51.100.8"]);
      } finally {
        raw.disconnect();
      }
    });
  });

  describe("behind a trusted proxy (TRUST_PROXY=10.0.0.1)", () => {
    let iso: Isolation;
    let t: TestApp;
    beforeAll(async () => {
      iso = await isolate("http-rate-limit-proxied");
      t = await buildTestApp(iso, { rateLimit: { max: 3, timeWindowMs: 60_000 }, trustProxy: ["10.0.0.1"] });
    });
    afterAll(async () => {
      await t.close();
      await iso.cleanup();
    });

    it("counts each client named by the proxy apart", async () => {
      expect(await statuses([1, 2, 3, 4].map(() => () => ping(t.app, "10.0.0.1", "203.0.113.10")))).toEqual([200, 200, 200, 429]);
      expect((await ping(t.app, "10.0.0.1", "203.0.113.11")).statusCode).toBe(200);
      // What the client wrote before the proxy's own entry is not believed: the proxy's entry names it.
      expect((await ping(t.app, "10.0.0.1", "203.0.113.11, 203.0.113.10")).statusCode).toBe(429);
    });

    it("ignores X-Forwarded-For from a peer that is not the proxy", async () => {
      // 203.0.113.10 used its allowance above; an untrusted peer naming it is counted as itself.
      expect(await statuses([1, 2, 3, 4].map(() => () => ping(t.app, "198.51.100.20", "203.0.113.10")))).toEqual([200, 200, 200, 429]);
      expect((await ping(t.app, "10.0.0.1", "198.51.100.21")).statusCode).toBe(200);
    });
  });

  describe("behind one proxy hop (TRUST_PROXY=1)", () => {
    let iso: Isolation;
    let t: TestApp;
    beforeAll(async () => {
      iso = await isolate("http-rate-limit-hops");
      t = await buildTestApp(iso, { rateLimit: { max: 2, timeWindowMs: 60_000 }, trustProxy: 1 });
    });
    afterAll(async () => {
      await t.close();
      await iso.cleanup();
    });

    it("takes the client from the last X-Forwarded-For entry, whatever came before it", async () => {
      expect(await statuses([1, 2, 3].map((i) => () => ping(t.app, "10.0.0.2", `192.0.2.${i}, 203.0.113.30`)))).toEqual([200, 200, 429]);
      expect((await ping(t.app, "10.0.0.2", "203.0.113.31")).statusCode).toBe(200);
    });
  });
});
