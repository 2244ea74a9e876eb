import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MonthSummarised } from "@kruzhok/contracts";
import { createKafka, newEvent, sendToTopic, type Kafka } from "@kruzhok/messaging";
import type { RunningConsumer } from "@kruzhok/testkit";
import { enrolled, financed, group, issued, paymentsHarness, summary, world, type PaymentsHarness } from "./fixtures/payments";

describe("attendance's month summaries through Kafka into payments", () => {
  let h: PaymentsHarness;
  let consumer: RunningConsumer;
  let kafka: Kafka;
  let topic: string;

  beforeAll(async () => {
    h = await paymentsHarness("payments-messaging", "2026-10-01T00:00:00Z");
    topic = h.iso.topic("attendance");
    // One partition: "the event after it was handled" then proves the earlier one was handled too.
    consumer = await h.consume([{ topic, partitions: 1 }]);
    kafka = createKafka({ brokers: h.iso.kafkaBrokers, clientId: `${h.iso.id}-test` });
  });
  afterAll(() => h.close());

  const send = (key: string, value: unknown) => sendToTopic(kafka, topic, [{ key, value: JSON.stringify(value) }]);

  it("a summary delivered twice (the same event, then the same version again) is billed once; a poison summary is dead-lettered and nothing is posted for it", async () => {
    const w = await world(h);
    const g = await group(h, w);
    const c = await issued(h, w);
    await financed(h, w, c);
    const enrollmentId = await enrolled(h, w, g, c);
    const event = newEvent(MonthSummarised, { municipalityId: w.municipalityId, aggregateId: enrollmentId }, summary(g, c, enrollmentId, "2026-11", { billable: 4 }), h.clock());
    const again = newEvent(MonthSummarised, { municipalityId: w.municipalityId, aggregateId: enrollmentId }, summary(g, c, enrollmentId, "2026-11", { billable: 4 }), h.clock());
    const poison = newEvent(MonthSummarised, { municipalityId: w.municipalityId, aggregateId: enrollmentId }, summary(g, c, enrollmentId, "2026-12", { billable: 1 }), h.clock());
    await send(enrollmentId, event);
    await send(enrollmentId, event);
    await send(enrollmentId, again);
    await send(enrollmentId, { ...poison, data: { ...poison.data, billable: -1 } });
    const after = newEvent(MonthSummarised, { municipalityId: w.municipalityId, aggregateId: enrollmentId }, summary(g, c, enrollmentId, "2026-10", { billable: 1 }), h.clock());
    await send(enrollmentId, after);
    expect(await consumer.handled(after.id, "the summary after the poison one")).toBe("applied");
    expect(await consumer.handled(event.id)).toBe("applied");
    expect(await consumer.handled(poison.id)).toBe("dead_lettered");
    const { rows } = await h.pool.query<{ month: string; certificate: number }>(`SELECT month, certificate_amount AS certificate FROM billed_months WHERE enrollment_id = $1 ORDER BY month`, [enrollmentId]);
    expect(rows).toEqual([{ month: "2026-10", certificate: 37_500 }, { month: "2026-11", certificate: 150_000 }]);
  });
});
