import { describe, expect, it } from "vitest";
import { parseConfig } from "@kruzhok/config";
import { AttendanceConfig } from "../src/config";

const env = { DATABASE_URL: "postgres://x@127.0.0.1/x", REDIS_URL: "redis://127.0.0.1:6379", KAFKA_BROKERS: "127.0.0.1:9092", AUTH_MODE: "development" };

describe("attendance's config", () => {
  it("listens on 3004 with the real clock by default", () => {
    const config = parseConfig(AttendanceConfig, env);
    expect(config.PORT).toBe(3004);
    expect(config.CLOCK_OFFSET_DAYS).toBe(0);
  });
});
