import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig, serviceConfig } from "../src";

const good = {
  PORT: "3001",
  DATABASE_URL: "postgres://postgres@127.0.0.1:5432/postgres",
  REDIS_URL: "redis://127.0.0.1:6379",
  KAFKA_BROKERS: "127.0.0.1:9092",
};

describe("service configuration", () => {
  it("parses a complete environment with defaults", () => {
    const config = parseConfig(serviceConfig, { ...good, CORS_ORIGINS: "https://a.ru, https://b.kz" });
    expect(config.PORT).toBe(3001);
    expect(config.LOG_LEVEL).toBe("info");
    expect(config.CORS_ORIGINS).toEqual(["https://a.ru", "https://b.kz"]);
    expect(config.KAFKA_FAST_CONSUMERS).toBe(false);
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
