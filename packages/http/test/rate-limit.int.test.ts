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
