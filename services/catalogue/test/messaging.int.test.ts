import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MunicipalityCreated, ProviderApproved, ProviderSuspended, type EventContract } from "@kruzhok/contracts";
import { createKafka, newEvent, sendToTopic, type Kafka } from "@kruzhok/messaging";
import type { RunningConsumer } from "@kruzhok/testkit";
import type { z } from "zod";
import { catalogueHarness, createGroup, createProgram, outboxEvents, publish, type CatalogueHarness } from "./fixtures/catalogue";

describe("registry provider events through Kafka into the catalogue", () => {
  let h: CatalogueHarness;
  let consumer: RunningConsumer;
  let kafka: Kafka;
  let topic: string;
  const municipalityId = randomUUID();
  const providerId = randomUUID();

  beforeAll(async () => {
    h = await catalogueHarness("cat-messaging");
    topic = h.iso.topic("registry");
    // One partition: "the event after it was handled" then proves the earlier one was handled too.
    consumer = await h.consume([{ topic, partitions: 1 }]);
    kafka = createKafka({ brokers: h.iso.kafkaBrokers, clientId: `${h.iso.id}-test` });
  });
  afterAll(async () => {
    await h.close();
  });

  const send = (key: string, value: unknown) => sendToTopic(kafka, topic, [{ key, value: JSON.stringify(value) }]);
  async function publishEvent<C extends EventContract>(contract: C, aggregateId: string, data: z.input<C["data"]>): Promise<string> {
    const event = newEvent(contract, { municipalityId, aggregateId }, data, new Date());
    await send(aggregateId, event);
    return event.id;
  }
  const providerStatus = async () => (await h.pool.query<{ status: string }>("SELECT status FROM providers WHERE id = $1", [providerId])).rows[0]?.status;

  it("learns of an approved provider, then on its suspension hides its programs and stops its groups, once per event", async () => {
    const created = await publishEvent(MunicipalityCreated, municipalityId, { municipalityId, code: "1101", name: "Сыктывкар", regionCode: "11", timeZone: "Europe/Moscow", currency: "RUB" });
    const approved = await publishEvent(ProviderApproved, providerId, { providerId, kind: "municipal", name: "МБУ ДО «Станция юных техников»" });
    expect([await consumer.handled(created), await consumer.handled(approved)]).toEqual(["applied", "applied"]);
    expect(await providerStatus()).toBe("approved");
    // Its region, which decides whose officials see its unlisted programs (issue 12).
    expect((await h.pool.query("SELECT region_code FROM municipalities WHERE id = $1", [municipalityId])).rows).toEqual([{ region_code: "11" }]);

    const w = { municipalityId, providerId, provider: await h.as({ role: "provider", municipalityId, providerId }) };
    const programId = await createProgram(h, w, { fundingKind: "free", certification: null, address: { text: "Сыктывкар", latitude: 61.67, longitude: 50.84 } });
    const groupId = await createGroup(h, w, programId, { schedule: { timeZone: "Europe/Moscow", slots: [{ weekday: 1, start: "16:00", end: "17:00" }] } });
    await publish(h, w, programId);
    const search = async () => (await h.app.inject({ method: "GET", url: `/search?municipalityId=${municipalityId}` })).json<{ total: number }>().total;
    expect(await search()).toBe(1);

    const suspension = { providerId, kind: "municipal" as const, name: "МБУ ДО «Станция юных техников»", reason: "safety" as const };
    const eventId = await publishEvent(ProviderSuspended, providerId, suspension);
    expect(await consumer.handled(eventId)).toBe("applied");
    expect(await providerStatus()).toBe("suspended");
    expect(await search()).toBe(0);
    const stopped = (await outboxEvents<{ acceptingApplications: boolean }>(h.pool, "catalogue.group.updated")).filter((e) => e.aggregateId === groupId);
    expect(stopped).toHaveLength(1);
    expect(stopped[0]).toMatchObject({ causationId: eventId, data: { acceptingApplications: false, reason: "provider_suspended" } });

    // The same event again (a redelivery) is skipped by the inbox: no second announcement.
    const again = newEvent(ProviderSuspended, { municipalityId, aggregateId: providerId }, suspension, new Date());
    const duplicate = { ...again, id: eventId };
    await send(providerId, duplicate);
    const marker = await publishEvent(ProviderApproved, randomUUID(), { providerId: randomUUID(), kind: "private", name: "маркер" });
    await consumer.handled(marker, "the marker after the duplicate");
    expect((await outboxEvents(h.pool, "catalogue.group.updated")).filter((e) => e.aggregateId === groupId)).toHaveLength(1);
  });

  it("sends a malformed provider event to the dead-letter topic and moves on", async () => {
    const poisonProvider = randomUUID();
    const poison = newEvent(ProviderApproved, { municipalityId, aggregateId: poisonProvider }, { providerId: poisonProvider, kind: "private", name: "x" }, new Date());
    const broken = { ...poison, data: { providerId: "not-a-uuid", kind: "school" } };
    await send(poisonProvider, broken);
    const next = randomUUID();
    const after = await publishEvent(ProviderApproved, next, { providerId: next, kind: "private", name: "ООО «Следующий»" });
    expect(await consumer.handled(after, "the event after the poison one")).toBe("applied");
    expect(await consumer.handled(poison.id)).toBe("dead_lettered");
    expect((await h.pool.query("SELECT 1 FROM providers WHERE id = $1", [poisonProvider])).rowCount).toBe(0);
  });
});
