import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolate, type Isolation } from "@kruzhok/testkit";
import { createKafka, kafkaReadiness } from "../src";

describe("the broker's readiness check", () => {
  let iso: Isolation;
  beforeAll(async () => {
    iso = await isolate("kafka-readiness");
  });
  afterAll(async () => {
    await iso.cleanup();
  });

  it("passes against the real broker", async () => {
    const check = kafkaReadiness(createKafka({ brokers: iso.kafkaBrokers, clientId: iso.id }));
    expect(check.name).toBe("kafka");
    await expect(check.check()).resolves.toBeUndefined();
  });

  it("fails where no broker listens", async () => {
    // Port 1 on loopback: refused at once. No retries, so the refusal is the check's answer.
    const kafka = createKafka({ brokers: ["127.0.0.1:1"], clientId: iso.id }, undefined, { retry: { retries: 0 }, connectionTimeout: 1_000 });
    await expect(kafkaReadiness(kafka).check()).rejects.toThrow();
  });
});
