import { createServer, type AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { isPermanent } from "@kruzhok/errors";
import {
  parseNotification,
  renderNotification,
  sendMail,
  smtpChannel,
  verifyWebhookSignature,
  webhookChannel,
  type OutgoingMessage,
  type SmtpConfig,
} from "../src";
import { offerMade } from "./events";
import { startSmtpSink, startWebhookReceiver, type SmtpSink, type WebhookReceiver } from "./sinks";

const now = new Date("2026-09-04T03:30:00Z");

function message(): OutgoingMessage {
  const event = parseNotification(offerMade());
  const { guardianId, childId } = event.data;
  return {
    notificationId: event.id,
    type: event.type,
    occurredAt: event.occurredAt,
    municipalityId: event.municipalityId,
    guardianId,
    childId,
    ...renderNotification(event, null),
    facts: event.data,
  };
}

/** Resolves with what the promise threw. */
const failure = async (promise: Promise<unknown>): Promise<Error> => {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a failure");
};

describe("SMTP email channel against a real local SMTP server", () => {
  let sink: SmtpSink;
  let config: SmtpConfig;
  beforeAll(async () => {
    sink = await startSmtpSink();
    config = { host: "127.0.0.1", port: sink.port, from: "noreply@kruzhok.example", fromName: "Кружок", clientName: "kruzhok.test", timeoutMs: 2_000 };
  });
  afterAll(() => sink.close());
  beforeEach(() => {
    sink.mails.length = 0;
    sink.commands.length = 0;
    sink.behaviour = {};
  });

  it("delivers the message: envelope, Cyrillic subject and text intact, the event id as Message-ID", async () => {
    const sent = message();
    expect(await smtpChannel(config, { clock: () => now }).send(sent, { email: "parent@example.org", locale: null })).toBe("sent");
    expect(sink.mails).toHaveLength(1);
    const mail = sink.mails[0]!;
    expect(mail.mailFrom).toBe("noreply@kruzhok.example");
    expect(mail.rcptTo).toEqual(["parent@example.org"]);
    expect(mail.subject).toBe(sent.subject);
    expect(mail.text).toBe(sent.text);
    expect(mail.headers.get("message-id")).toBe(`<${sent.notificationId}@kruzhok.example>`);
    expect(mail.headers.get("date")).toBe("Fri, 04 Sep 2026 03:30:00 +0000");
    expect(mail.headers.get("x-kruzhok-notification")).toBe("enrollment.notification.offer-made");
    expect(sink.commands).toEqual(["connect", "MAIL FROM:<noreply@kruzhok.example>", "RCPT TO:<parent@example.org>", "DATA"]);
  });

  it("keeps lines that begin with a dot (dot-stuffing) and long subjects split on whole characters", async () => {
    const text = ".starts with a dot\n..two dots\nend.";
    const subject = `Кружок: ${"очень длинная тема письма ".repeat(6)}`;
    await sendMail(config, { to: "parent@example.org", subject, text, messageId: "x@kruzhok.example", date: now });
    expect(sink.mails[0]!.text).toBe(text);
    expect(sink.mails[0]!.subject).toBe(subject);
  });

  it("keeps its connections open and reuses them: three messages, one connection", async () => {
    const channel = smtpChannel({ ...config, maxConnections: 1 });
    const before = sink.connections;
    try {
      for (const email of ["a@example.org", "b@example.org", "c@example.org"]) expect(await channel.send(message(), { email, locale: null })).toBe("sent");
    } finally {
      channel.close();
    }
    expect(sink.mails.map((m) => m.rcptTo[0])).toEqual(["a@example.org", "b@example.org", "c@example.org"]);
    expect(sink.connections - before).toBe(1);
  });

  it("delivers to a Cyrillic address with SMTPUTF8, and to a Cyrillic domain", async () => {
    expect(await smtpChannel(config).send(message(), { email: "родитель@пример.рф", locale: null })).toBe("sent");
    const mail = sink.mails[0]!;
    expect(mail.rcptTo).toEqual(["родитель@пример.рф"]);
    expect(mail.smtpUtf8).toBe(true);
    expect(mail.headers.get("from")).toMatch(/noreply@kruzhok\.example/);
    expect(mail.headers.get("to")).toContain("родитель@пример.рф");
  });
  it("skips a guardian without an email address, connecting to nobody", async () => {
    expect(await smtpChannel(config).send(message(), { email: null, locale: null })).toBe("skipped");
    expect(await smtpChannel(config).send(message(), null)).toBe("skipped");
    expect(sink.commands).toEqual([]);
  });

  it("treats 550 (no such mailbox) as permanent and 451 as worth retrying, keeping the address out of the error", async () => {
    sink.behaviour.rcpt = (address) => (address.startsWith("gone") ? 550 : 451);
    const gone = await failure(smtpChannel(config).send(message(), { email: "gone@example.org", locale: null }));
    expect(isPermanent(gone)).toBe(true);
    expect(gone.message).toContain("550");
    expect(gone.message).not.toContain("gone@example.org");
    const later = await failure(smtpChannel(config).send(message(), { email: "busy@example.org", locale: null }));
    expect(isPermanent(later)).toBe(false);
    expect(later.message).toContain("451");
    expect(later.message).not.toContain("busy@example.org");
    expect(sink.mails).toHaveLength(0);
  });

  it("refuses an address that could inject commands as permanent, sending nothing", async () => {
    const error = await failure(smtpChannel(config).send(message(), { email: "a@example.org>\r\nRCPT TO:<b@example.org", locale: null }));
    expect(isPermanent(error)).toBe(true);
    expect(sink.commands).toEqual([]);
  });

  it("gives up on a relay that does not answer within the timeout (retryable)", async () => {
    sink.behaviour.hangAfterData = true;
    const started = Date.now();
    const error = await failure(smtpChannel({ ...config, timeoutMs: 300 }).send(message(), { email: "parent@example.org", locale: null }));
    expect(isPermanent(error)).toBe(false);
    expect(error.message).toMatch(/timeout/i);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("reports a closed port as retryable", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const error = await failure(smtpChannel({ ...config, port }).send(message(), { email: "parent@example.org", locale: null }));
    expect(isPermanent(error)).toBe(false);
  });

  it("sends no password to a relay that offers no TLS: retried until the relay or SMTP_SECURE is fixed", async () => {
    const error = await failure(sendMail({ ...config, auth: { user: "u", pass: "p" } }, { to: "parent@example.org", subject: "s", text: "t", messageId: "m@x", date: now }));
    expect(isPermanent(error)).toBe(false);
    expect(sink.commands.some((c) => c.startsWith("AUTH"))).toBe(false);
    expect(sink.mails).toEqual([]);
  });
});

describe("SMTP over TLS with a password, against smtp-server", () => {
  const auth = { user: "kruzhok", pass: "relay-password" };
  let starttls: SmtpSink;
  let implicit: SmtpSink;
  beforeAll(async () => {
    starttls = await startSmtpSink({}, { tls: "starttls", auth });
    implicit = await startSmtpSink({}, { tls: "implicit", auth });
  });
  afterAll(async () => {
    await starttls.close();
    await implicit.close();
  });
  const mail = { to: "parent@example.org", subject: "Тема", text: "Текст", messageId: "tls@kruzhok.example", date: now };

  it("upgrades with STARTTLS before it authenticates, and verifies the relay's certificate", async () => {
    await sendMail({ host: "127.0.0.1", port: starttls.port, from: "noreply@kruzhok.example", auth, tls: { ca: starttls.certificate }, timeoutMs: 2_000 }, mail);
    expect(starttls.mails.at(-1)).toMatchObject({ secure: true, user: "kruzhok", subject: "Тема", text: "Текст" });
    const untrusted = await failure(sendMail({ host: "127.0.0.1", port: starttls.port, from: "noreply@kruzhok.example", auth, timeoutMs: 2_000 }, mail));
    expect(isPermanent(untrusted)).toBe(false);
    expect(untrusted.message).toMatch(/certificate/i);
  });

  it("speaks TLS from the first byte with SMTP_SECURE (implicit TLS)", async () => {
    await sendMail({ host: "127.0.0.1", port: implicit.port, secure: true, from: "noreply@kruzhok.example", auth, tls: { ca: implicit.certificate }, timeoutMs: 2_000 }, mail);
    expect(implicit.mails.at(-1)).toMatchObject({ secure: true, user: "kruzhok" });
  });

  it("takes a refused password as retryable (the relay's configuration, not the message) and sends nothing", async () => {
    const before = starttls.mails.length;
    const channel = smtpChannel({ host: "127.0.0.1", port: starttls.port, from: "noreply@kruzhok.example", auth: { user: "kruzhok", pass: "wrong" }, tls: { ca: starttls.certificate }, timeoutMs: 2_000 });
    const error = await failure(channel.send(message(), { email: "parent@example.org", locale: null }));
    channel.close();
    expect(isPermanent(error)).toBe(false);
    expect(error.message).toContain("535");
    expect(starttls.mails.length).toBe(before);
  });
});

describe("webhook channel against a real local HTTP server", () => {
  let receiver: WebhookReceiver;
  const secret = "webhook-secret-for-tests";
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
  });
  afterAll(() => receiver.close());
  beforeEach(() => {
    receiver.requests.length = 0;
    receiver.script = [];
    receiver.fallback = 200;
  });
  const channel = (overrides: Partial<Parameters<typeof webhookChannel>[0]> = {}) =>
    webhookChannel({ url: receiver.url, secret, timeoutMs: 500, attempts: 3, backoffMs: 10, maxBackoffMs: 50, clock: () => now, ...overrides });

  it("POSTs the message as JSON with the event id as idempotency key and a valid HMAC-SHA256 signature", async () => {
    const sent = message();
    expect(await channel().send(sent, null)).toBe("sent");
    expect(receiver.requests).toHaveLength(1);
    const request = receiver.requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers["idempotency-key"]).toBe(sent.notificationId);
    const body = JSON.parse(request.body) as Record<string, unknown>;
    expect(body).toMatchObject({ id: sent.notificationId, type: "enrollment.notification.offer-made", guardianId: sent.guardianId, text: sent.text, locale: "ru" });
    const headers = { timestamp: request.headers["x-kruzhok-timestamp"] as string, signature: request.headers["x-kruzhok-signature"] as string };
    expect(verifyWebhookSignature(secret, headers, request.body, now)).toBe(true);
    expect(verifyWebhookSignature("another secret", headers, request.body, now)).toBe(false);
    expect(verifyWebhookSignature(secret, headers, request.body.replace("offer-made", "offer-expiring"), now)).toBe(false);
    expect(verifyWebhookSignature(secret, headers, request.body, new Date(now.getTime() + 3_600_000))).toBe(false);
  });

  it("retries 5xx with backoff and succeeds when the receiver recovers, with the same idempotency key", async () => {
    receiver.script = [{ status: 503 }, { status: 502 }];
    expect(await channel().send(message(), null)).toBe("sent");
    expect(receiver.requests).toHaveLength(3);
    expect(new Set(receiver.requests.map((r) => r.headers["idempotency-key"])).size).toBe(1);
  });

  it("gives up after the last attempt on persistent 5xx with a retryable error", async () => {
    receiver.fallback = 500;
    const error = await failure(channel().send(message(), null));
    expect(isPermanent(error)).toBe(false);
    expect(error.message).toContain("500");
    expect(receiver.requests).toHaveLength(3);
  });

  it("does not retry a 4xx: the receiver refuses this notification for good", async () => {
    receiver.fallback = 422;
    const error = await failure(channel().send(message(), null));
    expect(isPermanent(error)).toBe(true);
    expect(receiver.requests).toHaveLength(1);
  });

  it("times out a slow receiver and retries", async () => {
    receiver.script = [{ status: 200, delayMs: 1_000 }];
    expect(await channel({ timeoutMs: 200 }).send(message(), null)).toBe("sent");
    expect(receiver.requests).toHaveLength(2);
  });
});
