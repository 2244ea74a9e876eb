import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig, serviceConfig } from "../src";

const good = {
  PORT: "3001",
  DATABASE_URL: "postgres://postgres@127.0.0.1:5432/postgres",
  REDIS_URL: "redis://127.0.0.1:6379",
  KAFKA_BROKERS: "127.0.0.1:9092",
  AUTH_MODE: "development",
};

describe("service configuration", () => {
  it("parses a complete environment with defaults", () => {
    const config = parseConfig(serviceConfig, { ...good, CORS_ORIGINS: "https://a.ru, https://b.kz" });
    expect(config.PORT).toBe(3001);
    expect(config.LOG_LEVEL).toBe("info");
    expect(config.CORS_ORIGINS).toEqual(["https://a.ru", "https://b.kz"]);
    expect(config.KAFKA_FAST_CONSUMERS).toBe(false);
    expect(config.AUTH_MAX_TOKEN_LIFETIME_S).toBe(43_200);
    expect(config.AUTH_DEV_LISTEN_ANY).toBe(false);
  });

  it("listens on loopback unless HOST says otherwise", () => {
    expect(parseConfig(serviceConfig, good).HOST).toBe("127.0.0.1");
    expect(parseConfig(serviceConfig, { ...good, HOST: "0.0.0.0" }).HOST).toBe("0.0.0.0");
  });

  it("has no default auth mode: a missing one is named with its choices", () => {
    const { AUTH_MODE: _mode, ...withoutMode } = good;
    expect(() => parseConfig(serviceConfig, withoutMode)).toThrow("config: AUTH_MODE is required (one of: oidc, development)");
    expect(() => parseConfig(serviceConfig, { ...good, AUTH_MODE: "dev" })).toThrow("config: AUTH_MODE must be one of: oidc, development");
    expect(parseConfig(serviceConfig, { ...good, AUTH_MODE: "oidc" }).AUTH_MODE).toBe("oidc");
  });

  it("bounds the longest token lifetime", () => {
    expect(parseConfig(serviceConfig, { ...good, AUTH_MAX_TOKEN_LIFETIME_S: "3600" }).AUTH_MAX_TOKEN_LIFETIME_S).toBe(3_600);
    expect(() => parseConfig(serviceConfig, { ...good, AUTH_MAX_TOKEN_LIFETIME_S: "0" })).toThrow(/AUTH_MAX_TOKEN_LIFETIME_S must be a whole number of seconds/);
    expect(() => parseConfig(serviceConfig, { ...good, AUTH_MAX_TOKEN_LIFETIME_S: "31536000" })).toThrow(/AUTH_MAX_TOKEN_LIFETIME_S/);
  });

  it("reads TRUST_PROXY as a hop count or the proxies' addresses, never as 'trust everyone'", () => {
    const trust = (value?: string) => parseConfig(serviceConfig, { ...good, ...(value !== undefined && { TRUST_PROXY: value }) }).TRUST_PROXY;
    expect(trust()).toBeUndefined();
    expect(trust("1")).toBe(1);
    expect(trust("10.0.0.0/8, 192.168.1.10 ,loopback,fd00::/8")).toEqual(["10.0.0.0/8", "192.168.1.10", "loopback", "fd00::/8"]);
    for (const bad of ["true", "*", "0", "11", "10.0.0.0/33", "proxy.internal", "", " , "]) {
      expect(() => trust(bad), bad).toThrow(/^config: TRUST_PROXY must be a hop count \(1-10\) or a comma-separated list/);
    }
  });

  it("reads METRICS_ALLOW and DOCS_ALLOW as any or a list of addresses", () => {
    const parsed = parseConfig(serviceConfig, { ...good, METRICS_ALLOW: "loopback, 10.2.0.0/16", DOCS_ALLOW: "any" });
    expect(parsed.METRICS_ALLOW).toEqual(["loopback", "10.2.0.0/16"]);
    expect(parsed.DOCS_ALLOW).toBe("any");
    expect(parseConfig(serviceConfig, good).METRICS_ALLOW).toBeUndefined();
    expect(() => parseConfig(serviceConfig, { ...good, METRICS_ALLOW: "prometheus" })).toThrow(/METRICS_ALLOW must be any or a comma-separated list/);
    expect(() => parseConfig(serviceConfig, { ...good, DOCS_ALLOW: "" })).toThrow(/DOCS_ALLOW must be any/);
  });

  it("names every missing and bad key in one line", () => {
    const attempt = () => parseConfig(serviceConfig, { PORT: "eighty", REDIS_URL: "127.0.0.1:6379", KAFKA_BROKERS: good.KAFKA_BROKERS });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).not.toContain("\n");
      expect(message).toMatch(/^config: /);
      expect(message).toContain("PORT must be a port number (1-65535)");
      expect(message).toContain("DATABASE_URL is required");
      expect(message).toContain("REDIS_URL must be a URL starting with redis:// or rediss://");
    }
  });

  it("reads flags as words: 'false' is false", () => {
    expect(parseConfig(serviceConfig, { ...good, KAFKA_FAST_CONSUMERS: "false" }).KAFKA_FAST_CONSUMERS).toBe(false);
    expect(parseConfig(serviceConfig, { ...good, KAFKA_FAST_CONSUMERS: "true" }).KAFKA_FAST_CONSUMERS).toBe(true);
    expect(() => parseConfig(serviceConfig, { ...good, KAFKA_FAST_CONSUMERS: "maybe" })).toThrow(/KAFKA_FAST_CONSUMERS/);
  });
});
