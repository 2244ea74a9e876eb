import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolate, type Isolation } from "@kruzhok/testkit";
import { closeGracefully, isDraining, markDraining } from "../src";
import { buildTestApp, type TestApp } from "./fixtures/app";

describe("liveness, readiness and graceful shutdown", () => {
  let iso: Isolation;
  let t: TestApp;
  beforeAll(async () => {
    iso = await isolate("http-health");
    t = await buildTestApp(iso);
  });
  afterAll(async () => {
    await t.close();
    await iso.cleanup();
  });

  const readyz = () => t.app.inject({ method: "GET", url: "/readyz" });

  it("is live without a token and without asking any dependency", async () => {
    t.dependencies.kafka = "down";
    const response = await t.app.inject({ method: "GET", url: "/livez" });
    t.dependencies.kafka = "up";
    expect(response.statusCode).toBe(200);
  });

  it("is ready when every dependency answers", async () => {
    const response = await readyz();
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: "ready", checks: { postgres: "ok", kafka: "ok" } });
  });

  it("answers 503 naming the failing dependency, without its address", async () => {
    t.dependencies.kafka = "down";
    const response = await readyz();
    t.dependencies.kafka = "up";
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: "HTTP.NOT_READY", detail: "not ready: kafka" });
    expect(response.body).not.toContain("10.0.0.7");
  });

  it("answers 503 within the timeout when a dependency hangs", async () => {
    t.dependencies.kafka = "hung";
    const started = Date.now();
    const response = await readyz();
    t.dependencies.kafka = "up";
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ detail: "not ready: kafka" });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("answers 503 once draining began, while other routes still serve", async () => {
    markDraining(t.app);
    expect(isDraining(t.app)).toBe(true);
    const response = await readyz();
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: "HTTP.NOT_READY", detail: "shutting down" });
    expect((await t.app.inject({ method: "GET", url: "/livez" })).statusCode).toBe(200);
  });
});

describe("closeGracefully", () => {
  let iso: Isolation;
  beforeAll(async () => {
    iso = await isolate("http-shutdown");
  });
  afterAll(async () => {
    await iso.cleanup();
  });

  it("drains, closes the server, then runs the steps in order, even past a failing one", async () => {
    const t = await buildTestApp(iso);
    const order: string[] = [];
    const step = (name: string, fail = false) => ({
      name,
      run: () => {
        order.push(name);
        return fail ? Promise.reject(new Error(`${name} broke`)) : Promise.resolve();
      },
    });
    const shutdown = closeGracefully(t.app, [step("consumers"), step("relay", true), step("pools")]);
    expect(isDraining(t.app)).toBe(true);
    // A second signal joins the shutdown under way instead of starting another.
    expect(closeGracefully(t.app)).toBe(shutdown);
    await expect(shutdown).rejects.toThrow("shutdown finished with failures");
    expect(order).toEqual(["consumers", "relay", "pools"]);
    await t.close().catch(() => undefined);
  });

  it("gives up after its timeout when a step hangs", async () => {
    const t = await buildTestApp(iso);
    const shutdown = closeGracefully(t.app, [{ name: "stuck", run: () => new Promise(() => undefined) }], {
      timeoutMs: 200,
    });
    await expect(shutdown).rejects.toThrow("shutdown did not finish within 200 ms");
    await t.close().catch(() => undefined);
  });
});
