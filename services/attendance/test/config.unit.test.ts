import { describe, expect, it } from "vitest";
import { parseConfig } from "@kruzhok/config";
import { AttendanceConfig, shiftedClock } from "../src/config";

const env = { DATABASE_URL: "postgres://x@127.0.0.1/x", REDIS_URL: "redis://127.0.0.1:6379", KAFKA_BROKERS: "127.0.0.1:9092", AUTH_MODE: "development" };

describe("attendance's config", () => {
  it("listens on 3004 with the real clock by default", () => {
    const config = parseConfig(AttendanceConfig, env);
    expect(config.PORT).toBe(3004);
    expect(config.CLOCK_OFFSET_DAYS).toBe(0);
  });

  it("shifts the clock by CLOCK_OFFSET_DAYS in development", () => {
    const config = parseConfig(AttendanceConfig, { ...env, CLOCK_OFFSET_DAYS: "40" });
    expect(shiftedClock(() => new Date("2026-12-03T00:00:00Z"), config.CLOCK_OFFSET_DAYS)().toISOString()).toBe("2027-01-12T00:00:00.000Z");
  });

  it("refuses a clock offset in production", () => {
    expect(() => parseConfig(AttendanceConfig, { ...env, NODE_ENV: "production", AUTH_MODE: "oidc", CLOCK_OFFSET_DAYS: "40" })).toThrow(/CLOCK_OFFSET_DAYS is refused with NODE_ENV=production/);
  });
});
