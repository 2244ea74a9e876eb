import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "@kruzhok/config";
import { DEV_PSEUDONYM_KEY, StatisticsConfig } from "../src/config";

const base = { DATABASE_URL: "postgres://postgres@127.0.0.1:5432/postgres", REDIS_URL: "redis://127.0.0.1:6379", KAFKA_BROKERS: "127.0.0.1:9092" };

describe("statistics' configuration", () => {
  it("given development mode without a pseudonym key, then the public development key and cells under 10 suppressed", () => {
    const config = parseConfig(StatisticsConfig, { ...base, AUTH_MODE: "development" });
    expect([config.PORT, config.STATISTICS_PSEUDONYM_KEY, config.STATISTICS_MIN_CELL, config.STATISTICS_CONSUMER_BATCH]).toEqual([3006, DEV_PSEUDONYM_KEY, 10, true]);
  });
  it("given STATISTICS_CONSUMER_BATCH=false, then the consumers run one event per transaction (\"false\" is false)", () => {
    expect(parseConfig(StatisticsConfig, { ...base, AUTH_MODE: "development", STATISTICS_CONSUMER_BATCH: "false" }).STATISTICS_CONSUMER_BATCH).toBe(false);
  });
  it("given production's oidc mode without a pseudonym key, then no start, the key named", () => {
    const env = { ...base, NODE_ENV: "production", AUTH_MODE: "oidc", AUTH_JWKS_URL: "https://id.example/jwks", AUTH_ISSUER: "https://id.example", AUTH_AUDIENCE: "kruzhok" };
    expect(() => parseConfig(StatisticsConfig, env)).toThrow(ConfigError);
    expect(() => parseConfig(StatisticsConfig, env)).toThrow(/STATISTICS_PSEUDONYM_KEY is required outside development mode/);
    expect(parseConfig(StatisticsConfig, { ...env, STATISTICS_PSEUDONYM_KEY: "k".repeat(40), STATISTICS_MIN_CELL: "5" }).STATISTICS_MIN_CELL).toBe(5);
  });
});
