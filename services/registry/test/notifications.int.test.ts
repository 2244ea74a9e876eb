import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventEnvelope } from "@kruzhok/contracts";
import { createKafka, sendToTopic, type Kafka } from "@kruzhok/messaging";
import { startSmtpSink, type SmtpSink } from "@kruzhok/notifications/testing";
import { waitFor, type RunningConsumer } from "@kruzhok/testkit";
import { RegistryConfig } from "../src/config";
import { notificationChannels } from "../src/messaging/handlers";
import { createMunicipality, offerMadeEvent, registerGuardian, registryHarness, type RegistryHarness } from "./fixtures/registry";

/**
 * The registry delivers notifications because only it knows guardians' contacts: an event with
 * ids only, consumed from a real topic, reaches a real SMTP server at the stored address.
 */
describe("notifications delivered by the registry (message flow)", () => {
  let h: RegistryHarness;
  let sink: SmtpSink;
  let consumer: RunningConsumer;
  let kafka: Kafka;
  let topic: string;
  let municipalityId: string;

  beforeAll(async () => {
    sink = await startSmtpSink();
    // Channels come from the registry's own configuration, as main.ts builds them.
    const config = RegistryConfig.parse({
      DATABASE_URL: "postgres://127.0.0.1/unused",
      REDIS_URL: "redis://127.0.0.1",
      KAFKA_BROKERS: "127.0.0.1:9092",
      AUTH_MODE: "development",
      SMTP_HOST: "127.0.0.1",
      SMTP_PORT: String(sink.port),
      SMTP_FROM: "noreply@kruzhok.test",
    });
    const channels = notificationChannels(config);
    expect(channels.map((c) => c.name)).toEqual(["email"]);
    h = await registryHarness("reg-notify", { channels });
    topic = h.iso.topic("notifications");
    municipalityId = (await createMunicipality(h, { timeZone: "Asia/Kamchatka" })).id;
    consumer = await h.consume([{ topic, partitions: 1 }]);
    kafka = createKafka({ brokers: h.iso.kafkaBrokers, clientId: `registry-${h.iso.id}` });
  });
  afterAll(async () => {
    await h.close();
    await sink.close();
  });

  const offerMade = (guardianId: string) => offerMadeEvent(municipalityId, guardianId, h.clock());

  // The contract names the real topic; this file's consumer reads its own prefixed one.
  const publish = (event: EventEnvelope) => sendToTopic(kafka, topic, [{ key: event.aggregateId, value: JSON.stringify(event) }]);
  const inboxOutcome = (eventId: string) => consumer.handled(eventId);

  it("sends the offer to the guardian's stored email, once, though the event carries only ids", async () => {
    const email = `parent-${randomUUID().slice(0, 8)}@family.test`;
    const guardianId = await registerGuardian(h, municipalityId, { email, phone: "+79001234567" });
    const event = offerMade(guardianId);
    expect(JSON.stringify(event)).not.toContain(email);
    await publish(event);
    const mail = await waitFor(() => sink.mails.find((m) => m.rcptTo.includes(email)), { what: "the offer mail" });
    expect(mail.mailFrom).toBe("noreply@kruzhok.test");
    expect(mail.subject).toContain("Робототехника для начинающих");
    // Deadline in the municipality's zone: 23:59 in Kamchatka.
    expect(mail.text).toContain("7 сентября 2026 г. в 23:59");
    expect(await inboxOutcome(event.id)).toBe("applied");
    const { rows } = await h.pool.query<{ status: string }>("SELECT status FROM notification_deliveries WHERE event_id = $1 AND channel = 'email'", [event.id]);
    expect(rows[0]?.status).toBe("delivered");

    // A redelivery sends nothing twice.
    const before = sink.mails.length;
    await publish(event);
    const marker = offerMade(guardianId);
    await publish(marker);
    await waitFor(() => sink.mails.find((m) => m.headers.get("message-id")?.includes(marker.id)), { what: "the marker mail" });
    expect(sink.mails.length).toBe(before + 1);
  });

  it("writes to a family in the language its guardian chose, whatever the municipality's currency", async () => {
    // A tenge municipality's family that reads Russian, chosen at registration.
    const russianEmail = `ru-${randomUUID().slice(0, 8)}@family.test`;
    const russian = await registerGuardian(h, municipalityId, { email: russianEmail, language: "ru" });
    await publish({ ...offerMade(russian), data: { ...offerMade(russian).data, currency: "KZT", timeZone: "Asia/Almaty" } });
    const inRussian = await waitFor(() => sink.mails.find((m) => m.rcptTo.includes(russianEmail)), { what: "the Russian mail" });
    expect(inRussian.text).toContain("Здравствуйте!");

    // A rouble municipality's family that chooses Kazakh later, in its own account.
    const kazakhEmail = `kk-${randomUUID().slice(0, 8)}@family.test`;
    const kazakh = await registerGuardian(h, municipalityId, { email: kazakhEmail });
    const chosen = await h.app.inject({
      method: "PUT",
      url: `/guardians/${kazakh}/language`,
      headers: await h.as({ role: "guardian", municipalityId, guardianId: kazakh }),
      payload: { language: "kk" },
    });
    expect(chosen.json()).toMatchObject({ id: kazakh, language: "kk" });
    const stranger = await h.app.inject({
      method: "PUT",
      url: `/guardians/${kazakh}/language`,
      headers: await h.as({ role: "guardian", municipalityId, guardianId: russian }),
      payload: { language: "ru" },
    });
    expect(stranger.statusCode).toBe(403);
    await publish(offerMade(kazakh));
    const inKazakh = await waitFor(() => sink.mails.find((m) => m.rcptTo.includes(kazakhEmail)), { what: "the Kazakh mail" });
    expect(inKazakh.text).toContain("Сәлеметсіз бе!");
  });

  it("acknowledges a notification for a guardian without an email and sends nothing", async () => {
    const guardianId = await registerGuardian(h, municipalityId);
    const event = offerMade(guardianId);
    const before = sink.mails.length;
    await publish(event);
    expect(await inboxOutcome(event.id)).toBe("applied");
    expect(sink.mails.length).toBe(before);
    const { rows } = await h.pool.query<{ status: string }>("SELECT status FROM notification_deliveries WHERE event_id = $1", [event.id]);
    expect(rows[0]?.status).toBe("skipped");
  });

  it("sends a notification that breaks its contract to the dead-letter topic", async () => {
    const event = { ...offerMade(randomUUID()), data: { guardianId: "not-a-uuid" } };
    await publish(event);
    expect(await inboxOutcome(event.id)).toBe("dead_lettered");
  });
});

describe("notification channels from the registry's configuration", () => {
  const base = { DATABASE_URL: "postgres://127.0.0.1/x", REDIS_URL: "redis://127.0.0.1", KAFKA_BROKERS: "127.0.0.1:9092", AUTH_MODE: "development" };
  it("turns on only the channels whose keys are set, and refuses half a channel", () => {
    expect(notificationChannels(RegistryConfig.parse(base))).toEqual([]);
    const both = RegistryConfig.parse({ ...base, SMTP_HOST: "mail.test", SMTP_FROM: "a@b.test", NOTIFY_WEBHOOK_URL: "https://portal.test/hook", NOTIFY_WEBHOOK_SECRET: "s".repeat(32) });
    expect(notificationChannels(both).map((c) => c.name)).toEqual(["email", "webhook"]);
    expect(RegistryConfig.safeParse({ ...base, NOTIFY_WEBHOOK_URL: "https://portal.test/hook" }).success).toBe(false);
    expect(RegistryConfig.safeParse({ ...base, SMTP_HOST: "mail.test" }).success).toBe(false);
  });
});
