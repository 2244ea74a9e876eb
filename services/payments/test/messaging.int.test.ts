import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CertificateFinanced, MonthSummarised } from "@kruzhok/contracts";
import { createKafka, failureEvidence, newEvent, sendToTopic, type Kafka } from "@kruzhok/messaging";
import type { RunningConsumer } from "@kruzhok/testkit";
import { accountId } from "../src/domain/ledger";
import { findAccounts } from "../src/store/ledger";
import { enrolled, financed, group, issued, paymentsHarness, setYear, summary, world, type PaymentsHarness } from "./fixtures/payments";

describe("attendance's month summaries through Kafka into payments", () => {
  let h: PaymentsHarness;
  let consumer: RunningConsumer;
  let kafka: Kafka;
  let topic: string;
  let registryTopic: string;

  beforeAll(async () => {
    h = await paymentsHarness("payments-messaging", "2026-10-01T00:00:00Z");
    topic = h.iso.topic("attendance");
    registryTopic = h.iso.topic("registry");
    // One partition: "the event after it was handled" then proves the earlier one was handled too.
    consumer = await h.consume([{ topic, partitions: 1 }, { topic: registryTopic, partitions: 1 }]);
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

  it("a certificate's financing that arrives before its year's settings (another partition) is retried until they come, not dead-lettered, and funded", async () => {
    const w = await world(h);
    const c = await issued(h, w);
    // Handled directly, the early event fails in a way the runner retries (not a permanent refusal).
    const early = await financed(h, w, c, 2027).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(early).toBeInstanceOf(Error);
    expect(failureEvidence(early)).toBe("transient");

    // Through Kafka: the year's settings arrive a moment later, as from another partition.
    const event = newEvent(CertificateFinanced, { municipalityId: w.municipalityId, aggregateId: c.certificateId }, { certificateId: c.certificateId, number: "41-000001", childId: c.childId, year: 2027, nominal: 1_000_000, currency: "RUB", requestId: null }, h.clock());
    await sendToTopic(kafka, registryTopic, [{ key: c.certificateId, value: JSON.stringify(event) }]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await setYear(h, w, { year: 2027 });
    expect(await consumer.handled(event.id, "the early financing")).toBe("applied");
    const [account] = await findAccounts(h.pool, [accountId("certificate", c.certificateId, 2027)]);
    expect(account?.creditsPosted).toBe(1_000_000);
  });
});
