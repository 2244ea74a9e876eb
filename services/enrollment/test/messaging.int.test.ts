import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { CertificateFinanced, CertificateIssued, GroupOpened, MunicipalityCreated, MunicipalityYearSet, type EventContract } from "@kruzhok/contracts";
import { createKafka, newEvent, sendToTopic, type Kafka } from "@kruzhok/messaging";
import type { RunningConsumer } from "@kruzhok/testkit";
import { apply, enrollmentHarness, groupData, outboxEvents, type EnrollmentHarness } from "./fixtures/enrollment";

describe("registry and catalogue events through Kafka into enrollment", () => {
  let h: EnrollmentHarness;
  let consumer: RunningConsumer;
  let kafka: Kafka;
  let registryTopic: string;
  let catalogueTopic: string;
  const municipalityId = randomUUID();

  beforeAll(async () => {
    h = await enrollmentHarness("enr-messaging");
    registryTopic = h.iso.topic("registry");
    catalogueTopic = h.iso.topic("catalogue");
    consumer = await h.consume([{ topic: registryTopic, partitions: 1 }, { topic: catalogueTopic, partitions: 1 }]);
    kafka = createKafka({ brokers: h.iso.kafkaBrokers, clientId: `${h.iso.id}-test` });
  });
  afterAll(async () => {
    await h.close();
  });

  const send = (topic: string, key: string, value: unknown) => sendToTopic(kafka, topic, [{ key, value: JSON.stringify(value) }]);
  async function publish<C extends EventContract>(topic: string, contract: C, aggregateId: string, data: z.input<C["data"]>): Promise<string> {
    const event = newEvent(contract, { municipalityId, aggregateId }, data, new Date());
    await send(topic, aggregateId, event);
    return event.id;
  }

  it("learns the municipality, a certificate and a financed group, then an application waits for the registry's financing answer", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const childId = randomUUID();
    const certificateId = randomUUID();
    const guardianId = randomUUID();
    const groupId = randomUUID();
    const providerId = randomUUID();
    await publish(registryTopic, MunicipalityCreated, municipalityId, { municipalityId, code: "4101", name: "Петропавловск-Камчатский", regionCode: "41", timeZone: "Asia/Kamchatka", currency: "RUB" });
    await publish(registryTopic, MunicipalityYearSet, `${municipalityId}:2026`, {
      year: 2026, currency: "RUB", nominal: 1_500_000, budget: 3_000_000_000, financedCap: 100, childrenPopulation: 20_000,
      categories: [{ code: "large_family", coefficient: 1 }], maxOpenApplications: 3,
      deadlines: { offerAcceptanceDays: 3, providerReviewWorkingDays: 3, monthCloseDay: 5 },
    });
    const issued = await publish(registryTopic, CertificateIssued, certificateId, {
      certificateId, number: "41-000001", childId, birthYear: 2016, ageBand: "7-10", categories: ["large_family"], funding: "accounting", guardianIds: [guardianId],
    });
    const world = { municipalityId, providerId, timeZone: "Asia/Kamchatka" } as Parameters<typeof groupData>[0];
    const opened = await publish(catalogueTopic, GroupOpened, groupId, groupData(world, groupId, { fundingKind: "financed", capacity: 5 }));
    expect(await consumer.handled(issued, "the certificate")).toBe("applied");
    expect(await consumer.handled(opened, "the group")).toBe("applied");
    // The municipality's region, which decides whose officials reach its queues and campaigns (issue 12).
    expect((await h.pool.query("SELECT region_code FROM municipalities WHERE id = $1", [municipalityId])).rows).toEqual([{ region_code: "41" }]);

    const guardian = await h.as({ role: "guardian", municipalityId, guardianId });
    const res = await apply(h, guardian, childId, groupId);
    expect(res.statusCode, res.body).toBe(201);
    const applicationId = res.json<{ id: string; status: string }>().id;
    expect(res.json()).toMatchObject({ status: "awaiting_financing", category: { code: "large_family", rank: 0 } });
    const requested = await outboxEvents<{ requestId: string; certificateId: string }>(h.pool, "enrollment.certificate.conversion-requested");
    expect(requested.map((e) => e.data)).toEqual([{ certificateId, requestId: applicationId, year: 2026 }]);

    const financed = await publish(registryTopic, CertificateFinanced, certificateId, {
      certificateId, number: "41-000001", childId, year: 2026, nominal: 1_500_000, currency: "RUB", requestId: applicationId,
    });
    expect(await consumer.handled(financed, "the financing answer")).toBe("applied");
    const after = await h.app.inject({ method: "GET", url: `/applications/${applicationId}`, headers: guardian });
    expect(after.json()).toMatchObject({ status: "queued" });
    expect((await outboxEvents(h.pool, "enrollment.application.financing-settled")).map((e) => e.aggregateId)).toEqual([applicationId]);

    // A redelivery of the same answer is skipped by the inbox.
    const again = newEvent(CertificateFinanced, { municipalityId, aggregateId: certificateId }, {
      certificateId, number: "41-000001", childId, year: 2026, nominal: 1_500_000, currency: "RUB", requestId: applicationId,
    }, new Date());
    await send(registryTopic, certificateId, { ...again, id: financed });
    const marker = await publish(registryTopic, MunicipalityCreated, randomUUID(), { municipalityId: randomUUID(), code: "0000", name: "маркер", regionCode: "00", timeZone: "UTC", currency: "RUB" });
    await consumer.handled(marker, "the marker after the duplicate");
    expect(await outboxEvents(h.pool, "enrollment.application.financing-settled")).toHaveLength(1);
  });

  it("sends a malformed group snapshot to the dead-letter topic and moves on", async () => {
    const poisonId = randomUUID();
    const poison = newEvent(GroupOpened, { municipalityId, aggregateId: poisonId }, groupData({ municipalityId, providerId: randomUUID(), timeZone: "Asia/Kamchatka" } as Parameters<typeof groupData>[0], poisonId), new Date());
    await send(catalogueTopic, poisonId, { ...poison, data: { groupId: poisonId, capacity: -1 } });
    const nextId = randomUUID();
    const next = await publish(catalogueTopic, GroupOpened, nextId, groupData({ municipalityId, providerId: randomUUID(), timeZone: "Asia/Kamchatka" } as Parameters<typeof groupData>[0], nextId));
    expect(await consumer.handled(next, "the group after the poison one")).toBe("applied");
    expect(await consumer.handled(poison.id)).toBe("dead_lettered");
    expect((await h.pool.query("SELECT 1 FROM groups WHERE id = $1", [poisonId])).rowCount).toBe(0);
  });
});
