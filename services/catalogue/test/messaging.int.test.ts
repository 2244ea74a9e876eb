import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MunicipalityCreated, ProviderApproved, ProviderSuspended, type EventContract } from "@kruzhok/contracts";
import { ConsumerRunner, createKafka, createProducer, newEvent, fastConsumerSettings } from "@kruzhok/messaging";
import { createLogger } from "@kruzhok/observability";
import { waitFor } from "@kruzhok/testkit";
import type { z } from "zod";
import { catalogueHandlers } from "../src/messaging/handlers";
import { catalogueHarness, createGroup, createProgram, outboxEvents, publish, type CatalogueHarness } from "./fixtures/catalogue";

describe("registry provider events through Kafka into the catalogue", () => {
  let h: CatalogueHarness;
  let runner: ConsumerRunner;
  let producer: ReturnType<typeof createProducer>;
  let topic: string;
  const municipalityId = randomUUID();
  const providerId = randomUUID();

  beforeAll(async () => {
    h = await catalogueHarness("cat-messaging");
    topic = h.iso.topic("registry");
    // One partition: "the event after it was handled" then proves the earlier one was handled too.
    await h.iso.createTopics([{ topic, partitions: 1 }]);
    const kafka = createKafka({ brokers: h.iso.kafkaBrokers, clientId: `${h.iso.id}-test` });
    producer = createProducer(kafka);
    await producer.connect();
    runner = new ConsumerRunner({
      kafka,
      pool: h.pool,
      logger: createLogger({ service: "catalogue", level: "silent" }),
      groupId: `${h.iso.topicPrefix}catalogue`,
      topics: [topic],
      handlers: catalogueHandlers({ pool: h.pool, clock: h.clock, searchCache: h.searchCache }),
      ...fastConsumerSettings,
    });
    await runner.start();
  });
  afterAll(async () => {
    await runner.stop();
    await producer.disconnect();
    await h.close();
  });

  async function publishEvent<C extends EventContract>(contract: C, aggregateId: string, data: z.input<C["data"]>): Promise<string> {
    const event = newEvent(contract, { municipalityId, aggregateId }, data, new Date());
    await producer.send({ topic, acks: -1, messages: [{ key: aggregateId, value: JSON.stringify(event) }] });
    return event.id;
  }
  const providerStatus = async () => (await h.pool.query<{ status: string }>("SELECT status FROM providers WHERE id = $1", [providerId])).rows[0]?.status;

  it("learns of an approved provider, then on its suspension hides its programs and stops its groups, once per event", async () => {
    await publishEvent(MunicipalityCreated, municipalityId, { municipalityId, code: "1101", name: "Сыктывкар", regionCode: "11", timeZone: "Europe/Moscow", currency: "RUB" });
    await publishEvent(ProviderApproved, providerId, { providerId, kind: "municipal", name: "МБУ ДО «Станция юных техников»" });
    await waitFor(async () => ((await providerStatus()) === "approved" ? true : undefined), { what: "the provider approved in the catalogue" });
    await waitFor(async () => ((await h.pool.query("SELECT 1 FROM municipalities WHERE id = $1", [municipalityId])).rowCount ? true : undefined), { what: "the municipality" });

    const w = { municipalityId, providerId, provider: await h.as({ role: "provider", municipalityId, providerId }) };
    const programId = await createProgram(h, w, { fundingKind: "free", certification: null, address: { text: "Сыктывкар", latitude: 61.67, longitude: 50.84 } });
    const groupId = await createGroup(h, w, programId, { schedule: { timeZone: "Europe/Moscow", slots: [{ weekday: 1, start: "16:00", end: "17:00" }] } });
    await publish(h, w, programId);
    const search = async () => (await h.app.inject({ method: "GET", url: `/search?municipalityId=${municipalityId}` })).json<{ total: number }>().total;
    expect(await search()).toBe(1);

    const suspension = { providerId, kind: "municipal" as const, name: "МБУ ДО «Станция юных техников»", reason: "предписание надзора" };
    const eventId = await publishEvent(ProviderSuspended, providerId, suspension);
    await waitFor(async () => ((await providerStatus()) === "suspended" ? true : undefined), { what: "the provider suspended in the catalogue" });
    expect(await search()).toBe(0);
    const stopped = (await outboxEvents<{ acceptingApplications: boolean }>(h.pool, "catalogue.group.updated")).filter((e) => e.aggregateId === groupId);
    expect(stopped).toHaveLength(1);
    expect(stopped[0]).toMatchObject({ causationId: eventId, data: { acceptingApplications: false, reason: "provider_suspended" } });

    // The same event again (a redelivery) is skipped by the inbox: no second announcement.
    const again = newEvent(ProviderSuspended, { municipalityId, aggregateId: providerId }, suspension, new Date());
    const duplicate = { ...again, id: eventId };
    await producer.send({ topic, acks: -1, messages: [{ key: providerId, value: JSON.stringify(duplicate) }] });
    const marker = await publishEvent(ProviderApproved, randomUUID(), { providerId: randomUUID(), kind: "private", name: "маркер" });
    await waitFor(async () => ((await h.pool.query("SELECT 1 FROM inbox WHERE event_id = $1", [marker])).rowCount ? true : undefined), { what: "the marker after the duplicate" });
    expect((await outboxEvents(h.pool, "catalogue.group.updated")).filter((e) => e.aggregateId === groupId)).toHaveLength(1);
  });

  it("sends a malformed provider event to the dead-letter topic and moves on", async () => {
    const poisonProvider = randomUUID();
    const poison = newEvent(ProviderApproved, { municipalityId, aggregateId: poisonProvider }, { providerId: poisonProvider, kind: "private", name: "x" }, new Date());
    const broken = { ...poison, data: { providerId: "not-a-uuid", kind: "school" } };
    await producer.send({ topic, acks: -1, messages: [{ key: poisonProvider, value: JSON.stringify(broken) }] });
    const next = randomUUID();
    await publishEvent(ProviderApproved, next, { providerId: next, kind: "private", name: "ООО «Следующий»" });
    await waitFor(async () => ((await h.pool.query("SELECT 1 FROM providers WHERE id = $1", [next])).rowCount ? true : undefined), { what: "the event after the poison one" });
    const inbox = await h.pool.query<{ outcome: string }>("SELECT outcome FROM inbox WHERE event_id = $1", [poison.id]);
    expect(inbox.rows[0]?.outcome).toBe("dead_lettered");
    expect((await h.pool.query("SELECT 1 FROM providers WHERE id = $1", [poisonProvider])).rowCount).toBe(0);
  });
});
