import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig, serviceConfig } from "@kruzhok/config";
import { DEV_AUTH_SECRET } from "@kruzhok/http";
import { authConfigFrom, clockFrom, describeAuth, httpEdgeFrom, isLoopbackHost } from "../src/settings";

const base = {
  PORT: "3001",
  DATABASE_URL: "postgres://postgres@127.0.0.1:5432/postgres",
  REDIS_URL: "redis://127.0.0.1:6379",
  KAFKA_BROKERS: "127.0.0.1:9092",
};
const oidc = {
  AUTH_MODE: "oidc",
  AUTH_JWKS_URL: "https://id.example.test/realms/kruzhok/protocol/openid-connect/certs",
  AUTH_ISSUER: "https://id.example.test/realms/kruzhok",
  AUTH_AUDIENCE: "kruzhok-api",
};
const configOf = (env: Record<string, string>) => parseConfig(serviceConfig, { ...base, ...env });
/** The one-line refusal of `env`, or "started". */
const refusal = (env: Record<string, string>) => {
  try {
    authConfigFrom(configOf(env));
    return "started";
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    expect(error.message).not.toContain("\n");
    return error.message;
  }
};

describe("the auth mode of a service", () => {
  it("development mode: the kit's public secret by default, on loopback", () => {
    expect(authConfigFrom(configOf({ AUTH_MODE: "development" }))).toEqual({ mode: "dev", secret: DEV_AUTH_SECRET, maxLifetimeSeconds: 43_200 });
    expect(authConfigFrom(configOf({ AUTH_MODE: "development", HOST: "::1", AUTH_DEV_SECRET: "a-secret-of-this-laptop-32-chars-long" }))).toMatchObject({
      mode: "dev",
      secret: "a-secret-of-this-laptop-32-chars-long",
    });
  });

  it("development mode is refused on an address other machines reach, unless AUTH_DEV_LISTEN_ANY says it is a container published on loopback", () => {
    expect(refusal({ AUTH_MODE: "development", HOST: "0.0.0.0" })).toBe(
      "config: AUTH_MODE=development listens on loopback only (HOST=127.0.0.1, ::1 or localhost), not HOST=0.0.0.0: " +
        "whoever reaches it can mint any role; in a container published on the host's loopback only, set AUTH_DEV_LISTEN_ANY=true",
    );
    expect(refusal({ AUTH_MODE: "development", HOST: "192.168.1.20" })).toMatch(/not HOST=192\.168\.1\.20/);
    expect(refusal({ AUTH_MODE: "development", HOST: "0.0.0.0", AUTH_DEV_LISTEN_ANY: "true" })).toBe("started");
  });

  it("production accepts oidc only, and never the public development secret", () => {
    expect(refusal({ NODE_ENV: "production", AUTH_MODE: "development" })).toBe(
      "config: AUTH_MODE=development is refused with NODE_ENV=production (anyone can mint tokens for a development secret); use AUTH_MODE=oidc",
    );
    expect(refusal({ NODE_ENV: "production", AUTH_MODE: "development", AUTH_DEV_SECRET: DEV_AUTH_SECRET })).toContain(
      "; AUTH_DEV_SECRET is the public development secret, which production never accepts",
    );
    expect(refusal({ NODE_ENV: "production", ...oidc, AUTH_DEV_SECRET: DEV_AUTH_SECRET })).toBe(
      "config: AUTH_DEV_SECRET is the public development secret, which production never accepts",
    );
    expect(refusal({ NODE_ENV: "production", AUTH_MODE: "development", HOST: "0.0.0.0", AUTH_DEV_LISTEN_ANY: "true" })).toContain(
      "AUTH_DEV_LISTEN_ANY=true is refused with NODE_ENV=production",
    );
    expect(refusal({ NODE_ENV: "production", ...oidc, HOST: "0.0.0.0" })).toBe("started");
  });

  it("oidc mode needs the identity provider's keys, issuer and audience", () => {
    expect(refusal({ AUTH_MODE: "oidc" })).toBe("config: AUTH_MODE=oidc needs AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE");
    expect(refusal({ ...oidc, AUTH_AUDIENCE: "" })).toMatch(/AUTH_AUDIENCE/);
    const { AUTH_ISSUER: _issuer, ...noIssuer } = oidc;
    expect(refusal(noIssuer)).toBe("config: AUTH_MODE=oidc needs AUTH_ISSUER");
    expect(authConfigFrom(configOf({ ...oidc, AUTH_MAX_TOKEN_LIFETIME_S: "900" }))).toEqual({
      mode: "oidc",
      jwksUrl: oidc.AUTH_JWKS_URL,
      issuer: oidc.AUTH_ISSUER,
      audience: oidc.AUTH_AUDIENCE,
      maxLifetimeSeconds: 900,
    });
  });

  it("refuses the other mode's keys rather than ignoring them", () => {
    expect(refusal({ ...oidc, AUTH_DEV_SECRET: "a-secret-of-this-laptop-32-chars-long" })).toBe(
      "config: AUTH_DEV_SECRET is read in AUTH_MODE=development only; unset it",
    );
    expect(refusal({ ...oidc, AUTH_DEV_LISTEN_ANY: "true" })).toBe("config: AUTH_DEV_LISTEN_ANY is read in AUTH_MODE=development only; unset it");
    expect(refusal({ AUTH_MODE: "development", AUTH_JWKS_URL: oidc.AUTH_JWKS_URL })).toBe(
      "config: AUTH_JWKS_URL is read in AUTH_MODE=oidc only; unset or set AUTH_MODE=oidc",
    );
  });

  it("says at start which mode it runs in", () => {
    expect(describeAuth(authConfigFrom(configOf(oidc)), { HOST: "0.0.0.0" })).toBe(
      "oidc: issuer https://id.example.test/realms/kruzhok, audience kruzhok-api, keys from https://id.example.test/realms/kruzhok/protocol/openid-connect/certs",
    );
    expect(describeAuth(authConfigFrom(configOf({ AUTH_MODE: "development" })), { HOST: "127.0.0.1" })).toBe("development: loopback only (the public development secret)");
    expect(describeAuth({ mode: "dev", secret: "x".repeat(32) }, { HOST: "0.0.0.0" })).toBe(
      "development: listening on 0.0.0.0 (AUTH_DEV_LISTEN_ANY), reachable only where its port is published on loopback (AUTH_DEV_SECRET)",
    );
  });

  it("knows loopback addresses", () => {
    expect(["127.0.0.1", "127.8.9.10", "::1", "localhost"].filter((host) => !isLoopbackHost(host))).toEqual([]);
    expect(["0.0.0.0", "::", "10.0.0.1", "127.0.0.1.example.org", "localhost.example.org", ""].filter(isLoopbackHost)).toEqual([]);
  });
});

describe("the HTTP edge of a service", () => {
  it("restricts /metrics to the machine itself in oidc mode, and leaves it open in development mode, unless METRICS_ALLOW says", () => {
    expect(httpEdgeFrom(configOf(oidc))).toEqual({ access: { metrics: ["loopback"] } });
    expect(httpEdgeFrom(configOf({ AUTH_MODE: "development" }))).toEqual({ access: {} });
    expect(httpEdgeFrom(configOf({ ...oidc, METRICS_ALLOW: "10.2.0.0/16" }))).toEqual({ access: { metrics: ["10.2.0.0/16"] } });
    expect(httpEdgeFrom(configOf({ ...oidc, METRICS_ALLOW: "any" }))).toEqual({ access: {} });
  });

  it("leaves /docs open unless DOCS_ALLOW says, and trusts proxies only when TRUST_PROXY names them", () => {
    expect(httpEdgeFrom(configOf({ AUTH_MODE: "development", DOCS_ALLOW: "loopback" }))).toEqual({ access: { docs: ["loopback"] } });
    expect(httpEdgeFrom(configOf({ ...oidc, TRUST_PROXY: "10.0.0.0/8", METRICS_ALLOW: "any" }))).toEqual({ trustProxy: ["10.0.0.0/8"], access: {} });
    expect(httpEdgeFrom(configOf({ ...oidc, TRUST_PROXY: "2", METRICS_ALLOW: "any" }))).toEqual({ trustProxy: 2, access: {} });
  });
});

describe("the clock of a service", () => {
  const now = () => new Date("2026-12-03T00:00:00Z");

  it("is the real one by default", () => {
    expect(clockFrom(configOf({ AUTH_MODE: "development" }), now)().toISOString()).toBe("2026-12-03T00:00:00.000Z");
  });

  it("runs CLOCK_OFFSET_DAYS ahead in development, across a year's end", () => {
    expect(clockFrom(configOf({ AUTH_MODE: "development", CLOCK_OFFSET_DAYS: "40" }), now)().toISOString()).toBe("2027-01-12T00:00:00.000Z");
  });

  it("refuses an offset in production", () => {
    expect(() => clockFrom(configOf({ ...oidc, NODE_ENV: "production", CLOCK_OFFSET_DAYS: "40" }), now)).toThrow(/CLOCK_OFFSET_DAYS is refused with NODE_ENV=production/);
  });
});
