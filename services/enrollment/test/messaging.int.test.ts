import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { CertificateFinanced, CertificateIssued, GroupOpened, MunicipalityCreated, MunicipalityYearSet, type EventContract } from "@kruzhok/contracts";
import { ConsumerRunner, createKafka, createProducer, newEvent, fastConsumerSettings } from "@kruzhok/messaging";
import { createLogger } from "@kruzhok/observability";
import { waitFor } from "@kruzhok/testkit";
import { enrollmentHandlers } from "../src/messaging/handlers";
import { apply, enrollmentHarness, groupData, outboxEvents, type EnrollmentHarness } from "./fixtures/enrollment";

describe("registry and catalogue events through Kafka into enrollment", () => {
  let h: EnrollmentHarness;
  let runner: ConsumerRunner;
  let producer: ReturnType<typeof createProducer>;
  let registryTopic: string;
  let catalogueTopic: string;
  const municipalityId = randomUUID();

  beforeAll(async () => {
    h = await enrollmentHarness("enr-messaging");
    registryTopic = h.iso.topic("registry");
    catalogueTopic = h.iso.topic("catalogue");
    await h.iso.createTopics([{ topic: registryTopic, partitions: 1 }, { topic: catalogueTopic, partitions: 1 }]);
    const kafka = createKafka({ brokers: h.iso.kafkaBrokers, clientId: `${h.iso.id}-test` });
    producer = createProducer(kafka);
    await producer.connect();
    runner = new ConsumerRunner({
      kafka,
      pool: h.pool,
      logger: createLogger({ service: "enrollment", level: "silent" }),
      groupId: `${h.iso.topicPrefix}enrollment`,
      topics: [registryTopic, catalogueTopic],
      handlers: enrollmentHandlers({ clock: h.clock }),
      ...fastConsumerSettings,
    });
    await runner.start();
  });
  afterAll(async () => {
    await runner.stop();
    await producer.disconnect();
    await h.close();
  });

  async function publish<C extends EventContract>(topic: string, contract: C, aggregateId: string, data: z.input<C["data"]>): Promise<string> {
    const event = newEvent(contract, { municipalityId, aggregateId }, data, new Date());
    await producer.send({ topic, acks: -1, messages: [{ key: aggregateId, value: JSON.stringify(event) }] });
    return event.id;
  }
  const handled = (eventId: string) => async () =>
    (await h.pool.query<{ outcome: string }>("SELECT outcome FROM inbox WHERE event_id = $1", [eventId])).rows[0]?.outcome;

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
    await waitFor(handled(issued), { what: "the certificate" });
    await waitFor(handled(opened), { what: "the group" });

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
    await waitFor(handled(financed), { what: "the financing answer" });
    const after = await h.app.inject({ method: "GET", url: `/applications/${applicationId}`, headers: guardian });
    expect(after.json()).toMatchObject({ status: "queued" });
    expect((await outboxEvents(h.pool, "enrollment.application.financing-settled")).map((e) => e.aggregateId)).toEqual([applicationId]);

    // A redelivery of the same answer is skipped by the inbox.
    const again = newEvent(CertificateFinanced, { municipalityId, aggregateId: certificateId }, {
      certificateId, number: "41-000001", childId, year: 2026, nominal: 1_500_000, currency: "RUB", requestId: applicationId,
    }, new Date());
    await producer.send({ topic: registryTopic, acks: -1, messages: [{ key: certificateId, value: JSON.stringify({ ...again, id: financed }) }] });
    const marker = await publish(registryTopic, MunicipalityCreated, randomUUID(), { municipalityId: randomUUID(), code: "0000", name: "маркер", regionCode: "00", timeZone: "UTC", currency: "RUB" });
    await waitFor(handled(marker), { what: "the marker after the duplicate" });
    expect(await outboxEvents(h.pool, "enrollment.application.financing-settled")).toHaveLength(1);
  });

  it("sends a malformed group snapshot to the dead-letter topic and moves on", async () => {
    const poisonId = randomUUID();
    const poison = newEvent(GroupOpened, { municipalityId, aggregateId: poisonId }, groupData({ municipalityId, providerId: randomUUID(), timeZone: "Asia/Kamchatka" } as Parameters<typeof groupData>[0], poisonId), new Date());
    await producer.send({ topic: catalogueTopic, acks: -1, messages: [{ key: poisonId, value: JSON.stringify({ ...poison, data: { groupId: poisonId, capacity: -1 } }) }] });
    const nextId = randomUUID();
    const next = await publish(catalogueTopic, GroupOpened, nextId, groupData({ municipalityId, providerId: randomUUID(), timeZone: "Asia/Kamchatka" } as Parameters<typeof groupData>[0], nextId));
    await waitFor(handled(next), { what: "the group after the poison one" });
    expect(await handled(poison.id)()).toBe("dead_lettered");
    expect((await h.pool.query("SELECT 1 FROM groups WHERE id = $1", [poisonId])).rowCount).toBe(0);
  });
});
