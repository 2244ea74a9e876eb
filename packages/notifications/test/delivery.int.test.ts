import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { NotificationOfferMade } from "@kruzhok/contracts";
import { isPermanent } from "@kruzhok/errors";
import { ConsumerRunner, createKafka, messagingMigrations, newEvent, fastConsumerSettings, sendToTopic, type Kafka } from "@kruzhok/messaging";
import { createLogger } from "@kruzhok/observability";
import { createPool, migrate, type Pool } from "@kruzhok/postgres";
import { eventHandled, isolate, type Isolation } from "@kruzhok/testkit";
import {
  deliverNotification,
  notificationHandlers,
  notificationMigrations,
  postgresDeliveryStore,
  smtpChannel,
  webhookChannel,
  type NotificationDeps,
  type Recipient,
} from "../src";
import { enrollmentEnded, offerMade } from "./events";
import { startSmtpSink, startWebhookReceiver, type SmtpSink, type WebhookReceiver } from "./sinks";

/**
 * Delivery end to end: real Postgres for the delivered-set, a real SMTP server and a real HTTP
 * receiver, and in the last block real Kafka through the kit's consumer runner.
 */

let iso: Isolation;
let pool: Pool;
let sink: SmtpSink;
let receiver: WebhookReceiver;
const contacts = new Map<string, Recipient>();
const clock = () => new Date();

function deps(overrides: Partial<NotificationDeps> = {}): NotificationDeps {
  return {
    channels: [
      smtpChannel({ host: "127.0.0.1", port: sink.port, from: "noreply@kruzhok.example", clientName: "kruzhok.test", timeoutMs: 2_000 }),
      webhookChannel({ url: receiver.url, secret: "s3cret", attempts: 2, backoffMs: 10, timeoutMs: 1_000 }),
    ],
    recipients: (guardianId) => Promise.resolve(contacts.get(guardianId) ?? null),
    store: postgresDeliveryStore(pool),
    clock,
    ...overrides,
  };
}

/** An event whose guardian has this address. */
function withContact<E extends { data: { guardianId: string } }>(event: E, email: string | null, locale: Recipient["locale"] = null): E {
  contacts.set(event.data.guardianId, { email, locale });
  return event;
}

const rows = async (eventId: string) =>
  (
    await pool.query<{ channel: string; status: string; attempts: number; last_error: string | null }>(
      "SELECT channel, status, attempts, last_error FROM notification_deliveries WHERE event_id = $1 ORDER BY channel",
      [eventId],
    )
  ).rows;

const failure = async (promise: Promise<unknown>): Promise<Error> => {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a failure");
};

beforeAll(async () => {
  iso = await isolate("enr-notifications");
  pool = createPool({ connectionString: iso.databaseUrl, max: 8 });
  await migrate(pool, [...messagingMigrations, ...notificationMigrations]);
  sink = await startSmtpSink();
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await sink.close();
  await receiver.close();
  await pool.end();
  await iso.cleanup();
});
beforeEach(() => {
  sink.mails.length = 0;
  sink.behaviour = {};
  receiver.requests.length = 0;
  receiver.script = [];
  receiver.fallback = 200;
});

describe("deliverNotification", () => {
  it("sends an offer once by email and once by webhook; a redelivered event sends nothing more", async () => {
    const event = withContact(offerMade(), "parent@example.org");
    const first = await deliverNotification(event, deps());
    expect(first.channels).toEqual([
      { channel: "email", outcome: "sent" },
      { channel: "webhook", outcome: "sent" },
    ]);
    expect(sink.mails.map((m) => m.rcptTo)).toEqual([["parent@example.org"]]);
    expect(receiver.requests).toHaveLength(1);

    const again = await deliverNotification(event, deps());
    expect(again.channels.map((c) => c.outcome)).toEqual(["already_delivered", "already_delivered"]);
    expect(sink.mails).toHaveLength(1);
    expect(receiver.requests).toHaveLength(1);
    expect(await rows(event.id)).toMatchObject([
      { channel: "email", status: "delivered", attempts: 1 },
      { channel: "webhook", status: "delivered", attempts: 1 },
    ]);
  });

  it("given the webhook down, keeps the email sent and asks for a retry; the retry sends only the webhook", async () => {
    const event = withContact(offerMade(), "parent@example.org");
    receiver.fallback = 503;
    const error = await failure(deliverNotification(event, deps()));
    expect(isPermanent(error)).toBe(false);
    expect(sink.mails).toHaveLength(1);
    expect(await rows(event.id)).toMatchObject([
      { channel: "email", status: "delivered" },
      { channel: "webhook", status: "pending", last_error: expect.stringContaining("503") as unknown },
    ]);

    receiver.fallback = 200;
    receiver.requests.length = 0;
    const retry = await deliverNotification(event, deps());
    expect(retry.channels.map((c) => c.outcome)).toEqual(["already_delivered", "sent"]);
    expect(sink.mails).toHaveLength(1);
    expect(receiver.requests).toHaveLength(1);
    expect((await rows(event.id))[1]).toMatchObject({ status: "delivered", attempts: 2 });
  });

  it("given every channel refusing for good, fails permanently (dead letters), records why without the address, and stays failed on replay", async () => {
    const event = withContact(enrollmentEnded({ reason: "expelled" }), "gone@example.org");
    sink.behaviour.rcpt = () => 550;
    const onlyEmail = deps({ channels: deps().channels.slice(0, 1) });
    const error = await failure(deliverNotification(event, onlyEmail));
    expect(isPermanent(error)).toBe(true);
    const [row] = await rows(event.id);
    expect(row).toMatchObject({ channel: "email", status: "failed" });
    expect(row!.last_error).toContain("550");
    expect(row!.last_error).not.toContain("gone@example.org");

    sink.behaviour.rcpt = () => null;
    expect(isPermanent(await failure(deliverNotification(event, onlyEmail)))).toBe(true);
    expect(sink.mails).toHaveLength(0);
  });

  it("given an unknown guardian, skips the email and still sends the webhook", async () => {
    const event = offerMade();
    const report = await deliverNotification(event, deps());
    expect(report.channels).toEqual([
      { channel: "email", outcome: "skipped" },
      { channel: "webhook", outcome: "sent" },
    ]);
    expect(sink.mails).toHaveLength(0);
    expect(receiver.requests).toHaveLength(1);
  });

  it("writes Kazakh for a tenge municipality unless the guardian chose Russian", async () => {
    await deliverNotification(withContact(offerMade({ currency: "KZT", timeZone: "Asia/Almaty" }), "kk@example.org"), deps());
    await deliverNotification(withContact(offerMade({ currency: "KZT", timeZone: "Asia/Almaty" }), "ru@example.org", "ru"), deps());
    const byAddress = new Map(sink.mails.map((m) => [m.rcptTo[0], m]));
    expect(byAddress.get("kk@example.org")!.text).toContain("Сәлеметсіз бе!");
    expect(byAddress.get("kk@example.org")!.headers.get("content-language")).toBe("kk");
    expect(byAddress.get("ru@example.org")!.text).toContain("Здравствуйте!");
  });

  it("given five workers delivering the same event at once, sends one email and one webhook", async () => {
    const event = withContact(offerMade(), "parent@example.org");
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => deliverNotification(event, deps())));
    expect(sink.mails).toHaveLength(1);
    expect(receiver.requests).toHaveLength(1);
    // The losers ask to be retried later. Every worker may lose (one claimed the email, another the
    // webhook, each then finds the other channel in flight), so the retry, as the consumer sends it,
    // is what must finish: it finds both channels delivered and sends nothing again.
    for (const result of results) if (result.status === "rejected") expect(isPermanent(result.reason)).toBe(false);
    const retried = await deliverNotification(event, deps());
    expect(retried.channels).toEqual([
      { channel: "email", outcome: "already_delivered" },
      { channel: "webhook", outcome: "already_delivered" },
    ]);
    expect(sink.mails).toHaveLength(1);
    expect(receiver.requests).toHaveLength(1);
  });

  it("takes over a claim whose worker died mid-send once the lease has passed, and not before", async () => {
    const event = withContact(offerMade(), "parent@example.org");
    const store = postgresDeliveryStore(pool);
    const longAgo = new Date(Date.now() - 10 * 60_000);
    await store.claim({ eventId: event.id, channel: "email" }, event.type, longAgo, 60_000);
    await store.claim({ eventId: event.id, channel: "webhook" }, event.type, new Date(), 60_000);
    const error = await failure(deliverNotification(event, deps({ leaseMs: 60_000 })));
    expect(error.message).toContain("another worker");
    expect(sink.mails).toHaveLength(1); // the stale email claim was taken over
    expect(receiver.requests).toHaveLength(0); // the fresh webhook claim was respected
    expect(await rows(event.id)).toMatchObject([
      { channel: "email", status: "delivered", attempts: 2 },
      { channel: "webhook", status: "sending", attempts: 1 },
    ]);
  });

  it("refuses a notification that breaks its contract as permanent, sending nothing", async () => {
    const event = offerMade();
    const error = await failure(deliverNotification({ ...event, data: { ...event.data, guardianId: "not-a-uuid" } }, deps()));
    expect(isPermanent(error)).toBe(true);
    expect(sink.mails).toHaveLength(0);
    expect(receiver.requests).toHaveLength(0);
    expect(await rows(event.id)).toEqual([]);
  });
});

describe("notifications consumed from Kafka", () => {
  let runner: ConsumerRunner;
  let kafka: Kafka;
  let topic: string;

  beforeAll(async () => {
    topic = iso.topic("notifications");
    await iso.createTopics([{ topic, partitions: 1 }]);
    kafka = createKafka({ brokers: iso.kafkaBrokers, clientId: `${iso.id}-test` });
    runner = new ConsumerRunner({
      kafka,
      pool,
      logger: createLogger({ service: "enrollment", level: "silent" }),
      groupId: `${iso.topicPrefix}enrollment-notifications`,
      topics: [topic],
      handlers: notificationHandlers(deps()),
      retry: { initialMs: 50, maxMs: 200 },
      ...fastConsumerSettings,
    });
    await runner.start();
  });
  afterAll(async () => {
    await runner?.stop();
  });

  const publish = (event: { id: string; data: { guardianId: string } }) => sendToTopic(kafka, topic, [{ key: event.data.guardianId, value: JSON.stringify(event) }]);
  const handled = (eventId: string) => eventHandled(pool, eventId);

  it("delivers a published offer once, even when Kafka delivers it twice, and dead-letters a poison notification", async () => {
    const event = withContact(offerMade(), "kafka-parent@example.org");
    await publish(event);
    expect(await handled(event.id)).toBe("applied");
    expect(sink.mails.filter((m) => m.rcptTo[0] === "kafka-parent@example.org")).toHaveLength(1);

    // A redelivery of the same event id, then a poison one, then a marker that proves both were passed.
    await publish(event);
    const poison = newEvent(NotificationOfferMade, { municipalityId: randomUUID(), aggregateId: event.data.guardianId }, event.data, new Date());
    await sendToTopic(kafka, topic, [{ key: "poison", value: JSON.stringify({ ...poison, data: { ...poison.data, deadline: "soon" } }) }]);
    const marker = withContact(offerMade(), "marker@example.org");
    await publish(marker);
    expect(await handled(marker.id)).toBe("applied");
    expect(await handled(poison.id)).toBe("dead_lettered");
    expect(sink.mails.filter((m) => m.rcptTo[0] === "kafka-parent@example.org")).toHaveLength(1);
    expect(receiver.requests.filter((r) => r.headers["idempotency-key"] === event.id)).toHaveLength(1);
  });
});
