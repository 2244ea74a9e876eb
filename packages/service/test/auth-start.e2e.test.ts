import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DEV_AUTH_SECRET, signDevToken } from "@kruzhok/http";
import { dropDatabase } from "@kruzhok/postgres";
import { bearer, freePort, localIdentityProvider, startServiceProcess, waitFor, type LocalIdentityProvider, type ServiceProcess } from "@kruzhok/testkit";
import { serviceEnv } from "@kruzhok/testkit/process";

// A service started by runService (test/fixtures/main.ts, one route) with the environments an
// operator might give it: those that would let anyone mint tokens end it at start with one line;
// the others start it and it says its mode.

const main = fileURLToPath(new URL("./fixtures/main.ts", import.meta.url));
const infra = inject("infra");
const database = `t_fixture_auth_${process.pid}`;
const topicPrefix = `${database}.`;

/** The environment of a fixture that would start, before the auth keys a test gives it. */
const envWith = (port: number, auth: Record<string, string>) => {
  const { AUTH_MODE: _development, ...env } = serviceEnv(infra, { port, database, topicPrefix, logLevel: "info" });
  return { ...env, ...auth };
};

async function refusal(auth: Record<string, string>): Promise<string> {
  const started = startServiceProcess(main, envWith(await freePort(), auth));
  try {
    const outcome = await Promise.race([started.exited, new Promise<"running">((resolve) => setTimeout(() => resolve("running"), 30_000))]);
    expect(outcome, `exit code (output: ${started.output().slice(-500)})`).toBe(1);
  } finally {
    // A service that did start is not left behind.
    started.child.kill("SIGKILL");
  }
  const lines = started.output().trim().split("\n");
  expect(lines).toHaveLength(1);
  return lines[0] ?? "";
}

async function ready(started: ServiceProcess, port: number): Promise<void> {
  await waitFor(async () => ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined), {
    timeoutMs: 60_000,
    intervalMs: 250,
    what: `the fixture ready (output: ${started.output().slice(-500)})`,
  });
}

const authLines = (started: ServiceProcess) =>
  started
    .output()
    .split("\n")
    .filter((line) => line.includes('"auth":'))
    .map((line) => JSON.parse(line) as { level: string; msg: string; auth: Record<string, unknown> });

describe("a service refuses to start with an auth setting that lets anyone mint tokens", () => {
  it.each([
    ["no AUTH_MODE", {}, "fixture: config: AUTH_MODE is required (one of: oidc, development)"],
    ["development mode on every interface", { AUTH_MODE: "development", HOST: "0.0.0.0" }, "AUTH_MODE=development listens on loopback only"],
    ["development mode in production", { AUTH_MODE: "development", NODE_ENV: "production" }, "AUTH_MODE=development is refused with NODE_ENV=production"],
    ["oidc without the identity provider", { AUTH_MODE: "oidc", NODE_ENV: "production" }, "AUTH_MODE=oidc needs AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE"],
    [
      "the public development secret in production",
      {
        AUTH_MODE: "oidc",
        NODE_ENV: "production",
        AUTH_JWKS_URL: "https://id.example.test/certs",
        AUTH_ISSUER: "https://id.example.test",
        AUTH_AUDIENCE: "kruzhok-api",
        AUTH_DEV_SECRET: DEV_AUTH_SECRET,
      },
      "AUTH_DEV_SECRET is the public development secret, which production never accepts",
    ],
  ])("%s", async (_what, auth, expected) => {
    const line = await refusal(auth);
    expect(line).toMatch(/^fixture: config: /);
    expect(line).toContain(expected);
  });
});

describe("a service that starts says how it checks tokens", () => {
  let identity: LocalIdentityProvider;
  beforeAll(async () => {
    identity = await localIdentityProvider();
  });
  afterAll(async () => {
    await identity.close();
    await dropDatabase(infra.databaseUrl, database);
  });

  it("oidc in production: the identity provider's tokens only, /metrics for the machine itself", async () => {
    const port = await freePort();
    const started = startServiceProcess(main, envWith(port, { NODE_ENV: "production", ...identity.env }));
    try {
      await ready(started, port);
      expect(authLines(started)).toEqual([
        expect.objectContaining({
          level: "info",
          msg: `auth oidc: issuer ${identity.issuer}, audience ${identity.audience}, keys from ${identity.jwksUrl}`,
          auth: expect.objectContaining({ mode: "oidc", maxTokenLifetimeS: 43_200 }) as unknown,
        }),
      ]);
      const whoami = (authorization: string) => fetch(`http://127.0.0.1:${port}/whoami`, { headers: { authorization } });
      const answer = await whoami(await identity.bearer({ subject: "oidc-official", role: "region", regionCode: "41" }));
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ subject: "oidc-official" });
      const forged = await whoami(`Bearer ${await signDevToken({ subject: "mallory", role: "ministry", allRegions: true }, { secret: DEV_AUTH_SECRET })}`);
      expect(forged.status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
      started.child.kill("SIGTERM");
      expect(await started.exited).toBe(0);
    } finally {
      started.child.kill("SIGKILL");
    }
  });

  it("development on loopback: the development secret's tokens", async () => {
    const port = await freePort();
    const started = startServiceProcess(main, envWith(port, { AUTH_MODE: "development" }));
    try {
      await ready(started, port);
      expect(authLines(started).map((line) => line.msg)).toEqual(["auth development: loopback only (the public development secret)"]);
      const answer = await fetch(`http://127.0.0.1:${port}/whoami`, { headers: { authorization: await bearer({ subject: "dev-clerk", role: "region", regionCode: "41" }) } });
      expect(await answer.json()).toEqual({ subject: "dev-clerk" });
      started.child.kill("SIGTERM");
      expect(await started.exited).toBe(0);
    } finally {
      started.child.kill("SIGKILL");
    }
  });
});
