import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolate, type Isolation } from "@kruzhok/testkit";
import { buildTestApp, type TestApp } from "./fixtures/app";

describe("who may read /metrics and /docs", () => {
  let iso: Isolation;
  let restricted: TestApp;
  let open: TestApp;
  beforeAll(async () => {
    iso = await isolate("http-access");
    restricted = await buildTestApp(iso, {
      access: { metrics: ["loopback", "10.1.0.0/16"], docs: ["10.2.0.7", "2001:db8::/32"] },
      trustProxy: ["10.9.9.9"],
    });
    open = await buildTestApp(iso);
  });
  afterAll(async () => {
    await restricted.close();
    await open.close();
    await iso.cleanup();
  });

  const get = (t: TestApp, url: string, remoteAddress: string, forwardedFor?: string) =>
    t.app.inject({ method: "GET", url, remoteAddress, headers: forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor } });

  it("serves /metrics to the listed scrapers only; others get 403 HTTP.ADDRESS_NOT_ALLOWED with nothing of the metrics", async () => {
    for (const address of ["127.0.0.1", "127.3.4.5", "::1", "::ffff:127.0.0.1", "10.1.200.3"]) {
      const response = await get(restricted, "/metrics", address);
      expect(response.statusCode, address).toBe(200);
      expect(response.body).toContain("http_request_duration_seconds");
    }
    for (const address of ["192.0.2.1", "10.2.0.7", "::ffff:192.0.2.1", "2001:db8::1"]) {
      const refused = await get(restricted, "/metrics", address);
      expect(refused.statusCode, address).toBe(403);
      expect(refused.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(refused.json()).toMatchObject({ code: "HTTP.ADDRESS_NOT_ALLOWED", status: 403, detail: "/metrics is not served to this client address" });
      expect(refused.body).not.toContain("http_request_duration_seconds");
    }
  });

  it("serves /docs (the UI and the OpenAPI document) to its list only", async () => {
    expect((await get(restricted, "/docs/json", "10.2.0.7")).statusCode).toBe(200);
    expect((await get(restricted, "/docs/json", "2001:db8:1::5")).statusCode).toBe(200);
    for (const url of ["/docs", "/docs/json", "/docs/static/index.html"]) {
      const refused = await get(restricted, url, "127.0.0.1");
      expect(refused.statusCode, url).toBe(403);
      expect(refused.json()).toMatchObject({ code: "HTTP.ADDRESS_NOT_ALLOWED" });
    }
  });

  it("goes by the client the trusted proxy names, and by the peer itself otherwise", async () => {
    expect((await get(restricted, "/docs/json", "10.9.9.9", "10.2.0.7")).statusCode).toBe(200);
    expect((await get(restricted, "/metrics", "10.9.9.9", "192.0.2.1")).statusCode).toBe(403);
    // A forged header from a peer that is not the proxy changes nothing.
    expect((await get(restricted, "/docs/json", "192.0.2.1", "10.2.0.7")).statusCode).toBe(403);
    expect((await get(restricted, "/metrics", "192.0.2.1", "127.0.0.1")).statusCode).toBe(403);
  });

  it("leaves the API and the probes alone", async () => {
    expect((await get(restricted, "/public/ping", "192.0.2.1")).statusCode).toBe(200);
    expect((await get(restricted, "/livez", "192.0.2.1")).statusCode).toBe(200);
  });

  it("is open when nothing is configured (the kit's default; services choose theirs)", async () => {
    expect((await get(open, "/metrics", "192.0.2.1")).statusCode).toBe(200);
    expect((await get(open, "/docs/json", "192.0.2.1")).statusCode).toBe(200);
  });
});
