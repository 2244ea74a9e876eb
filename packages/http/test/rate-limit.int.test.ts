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
    for (let i = 0; i < 3; i++) {
      const answered = await ping(token);
      expect(answered.statusCode).toBe(200);
      // An answer under the limit carries none of its headers (they were a lookup's measurable cost).
      expect(Object.keys(answered.headers).filter((name) => name.startsWith("x-ratelimit"))).toEqual([]);
    }
    const limited = await ping(token);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(limited.json()).toMatchObject({ code: "HTTP.RATE_LIMITED", status: 429 });
    expect(limited.json<{ detail: string }>().detail).toMatch(/^more than 3 requests in 60 s; retry in \d+ s$/);
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect(limited.headers).toMatchObject({ "x-ratelimit-limit": "3", "x-ratelimit-remaining": "0", "x-ratelimit-reset": limited.headers["retry-after"] });

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

describe("rate limit counted between visits to Redis (SharedCounts)", () => {
  let iso: Isolation;
  let a: TestApp;
  let b: TestApp;
  /** Commands each app's own Redis client sent (observed on the client, Redis itself is real). */
  const sent = { a: 0, b: 0 };
  const counted = (redis: Redis, into: "a" | "b") => {
    const send = redis.sendCommand.bind(redis);
    redis.sendCommand = (...args: Parameters<Redis["sendCommand"]>) => {
      sent[into]++;
      return send(...args);
    };
    return redis;
  };
  beforeAll(async () => {
    iso = await isolate("http-rate-limit-shared");
    // Two processes of one service (two workers, or two replicas): the same counters in Redis.
    a = await buildTestApp(iso, { rateLimit: { max: 4, timeWindowMs: 60_000, batchMs: 50 }, redis: counted(new Redis(iso.redisUrl, { keyPrefix: iso.redisPrefix }), "a") });
    b = await buildTestApp(iso, { rateLimit: { max: 4, timeWindowMs: 60_000, batchMs: 50 }, redis: counted(new Redis(iso.redisUrl, { keyPrefix: iso.redisPrefix }), "b") });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await iso.cleanup();
  });
  const ping = async (t: TestApp, token: string) =>
    (await t.app.inject({ method: "GET", url: `/municipalities/${municipalityId}/report`, headers: { authorization: `Bearer ${token}` } })).statusCode;
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const counter = async (subject: string) => {
    const raw = new Redis(iso.redisUrl);
    try {
      const [key] = await raw.keys(`${iso.redisPrefix}test-service:rate-limit:sub:${subject}`);
      return Number(await raw.get(key!));
    } finally {
      raw.disconnect();
    }
  };

  it("asks Redis once for a subject's first request, then sends what it counted in one batch", async () => {
    const subject = `mun-${randomUUID()}`;
    const token = await a.token({ subject, role: "municipality", municipalityId });
    const before = sent.a;
    expect(await Promise.all([1, 2, 3].map(() => ping(a, token)))).toEqual([200, 200, 200]);
    expect(await ping(a, token)).toBe(200);
    expect(await ping(a, token)).toBe(429);
    await pause(200);
    // The first request's count and one batch (the other four), not five round trips.
    expect(sent.a - before).toBeLessThanOrEqual(2);
    expect(await counter(subject)).toBe(5);
  });

  it("sends a batch of many subjects' counts as one command, and each subject's count arrives", async () => {
    const subjects = Array.from({ length: 25 }, () => `mun-${randomUUID()}`);
    const tokens = await Promise.all(subjects.map((subject) => a.token({ subject, role: "municipality", municipalityId })));
    // Each subject's first request asks Redis itself; the next two are counted here.
    expect(await Promise.all(tokens.map((token) => ping(a, token)))).toEqual(tokens.map(() => 200));
    const before = sent.a;
    expect(await Promise.all(tokens.flatMap((token) => [ping(a, token), ping(a, token)]))).toEqual(tokens.flatMap(() => [200, 200]));
    await pause(200);
    // 50 requests of 25 subjects in one batch: one command, not one per subject.
    expect(sent.a - before).toBe(1);
    expect(await Promise.all(subjects.map(counter))).toEqual(subjects.map(() => 3));
    // And the counts came back: two more each is over the limit of 4 in this process at once.
    expect(await ping(a, tokens[0]!)).toBe(200);
    expect(await ping(a, tokens[0]!)).toBe(429);
  });

  it("refuses in every process once their batches met in Redis", async () => {
    const subject = `mun-${randomUUID()}`;
    const token = await a.token({ subject, role: "municipality", municipalityId });
    expect([await ping(a, token), await ping(a, token), await ping(a, token)]).toEqual([200, 200, 200]);
    await pause(200);
    // B's first request learns A's three from Redis: the fourth is allowed, the fifth is not.
    expect(await ping(b, token)).toBe(200);
    expect(await ping(b, token)).toBe(429);
    // A has not heard of B's two yet: it may allow one more (the documented price of batching)...
    const beforeA = await ping(a, token);
    expect([200, 429]).toContain(beforeA);
    await pause(200);
    // ...and refuses once its batch brought B's count back.
    expect(await ping(a, token)).toBe(429);
    expect(await ping(b, token)).toBe(429);
    // Every request is counted, refused ones too, once the last batches are in.
    await pause(200);
    expect(await counter(subject)).toBe(8);
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
