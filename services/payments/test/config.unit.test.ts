import { describe, expect, it } from "vitest";
import { parseConfig } from "@kruzhok/config";
import { PaymentsConfig } from "../src/config";

const base = { DATABASE_URL: "postgres://postgres@127.0.0.1:5432/payments", REDIS_URL: "redis://127.0.0.1:6379", KAFKA_BROKERS: "127.0.0.1:9092", AUTH_MODE: "development" };

describe("payments' configuration", () => {
  it("given nothing more, then port 3005 and month summaries billed in batches", () => {
    const config = parseConfig(PaymentsConfig, base);
    expect([config.PORT, config.PAYMENTS_CONSUMER_BATCH]).toEqual([3005, true]);
  });
  it("given PAYMENTS_CONSUMER_BATCH=false, then one summary a transaction (\"false\" is false)", () => {
    expect(parseConfig(PaymentsConfig, { ...base, PAYMENTS_CONSUMER_BATCH: "false" }).PAYMENTS_CONSUMER_BATCH).toBe(false);
  });
});
