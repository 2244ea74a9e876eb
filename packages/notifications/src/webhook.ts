import { createHmac, timingSafeEqual } from "node:crypto";
import { PermanentError } from "@kruzhok/errors";
import type { Channel, OutgoingMessage, Recipient } from "./channel";

/**
 * A webhook: the rendered message and its facts POSTed as JSON to one endpoint (a regional
 * portal, an SMS or messenger gateway), which knows the guardian by id. No contact details are
 * sent.
 *
 * Signature: `X-Kruzhok-Signature: sha256=<hex>`, the HMAC-SHA256 with the shared secret of
 * `<X-Kruzhok-Timestamp>.<raw body>`. Signing the timestamp lets the receiver refuse old
 * replays; `Idempotency-Key` (the event id) lets it drop a redelivery.
 */

export interface WebhookConfig {
  url: string;
  secret: string;
  /** Per attempt. */
  timeoutMs?: number;
  /** Attempts in one delivery, the first included. */
  attempts?: number;
  /** First retry delay; doubles each time, up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  clock?: () => Date;
}

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** For receivers (and tests): does the signature match, and is the timestamp within `toleranceSeconds` of now? */
export function verifyWebhookSignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: string,
  now: Date,
  toleranceSeconds = 300,
): boolean {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Statuses worth another attempt: the receiver is down, overloaded or slow. */
const retryable = (status: number) => status >= 500 || status === 429 || status === 408;

export function webhookChannel(config: WebhookConfig, options: { name?: string } = {}): Channel {
  const attempts = config.attempts ?? 4;
  const timeoutMs = config.timeoutMs ?? 5_000;
  const backoffMs = config.backoffMs ?? 250;
  const maxBackoffMs = config.maxBackoffMs ?? 5_000;
  const clock = config.clock ?? (() => new Date());
  return {
    name: options.name ?? "webhook",
    async send(message: OutgoingMessage, _recipient: Recipient | null) {
      const body = JSON.stringify({
        id: message.notificationId,
        type: message.type,
        occurredAt: message.occurredAt,
        municipalityId: message.municipalityId,
        guardianId: message.guardianId,
        childId: message.childId,
        locale: message.locale,
        subject: message.subject,
        text: message.text,
        facts: message.facts,
      });
      let lastFailure = "";
      for (let attempt = 1; attempt <= attempts; attempt++) {
        // Signed per attempt: a retry a minute later carries a fresh timestamp.
        const timestamp = String(Math.floor(clock().getTime() / 1000));
        let retryAfterMs: number | null = null;
        try {
          const response = await fetch(config.url, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "idempotency-key": message.notificationId,
              "x-kruzhok-event-id": message.notificationId,
              "x-kruzhok-timestamp": timestamp,
              "x-kruzhok-signature": signWebhook(config.secret, timestamp, body),
            },
            body,
            redirect: "manual",
            signal: AbortSignal.timeout(timeoutMs),
          });
          await response.body?.cancel();
          if (response.status >= 200 && response.status < 300) return "sent";
          if (!retryable(response.status)) {
            throw new PermanentError(`webhook answered ${response.status}: the receiver refuses this notification`);
          }
          lastFailure = `webhook answered ${response.status}`;
          const header = response.headers.get("retry-after");
          if (header && /^\d+$/.test(header)) retryAfterMs = Number(header) * 1000;
        } catch (error) {
          if (error instanceof PermanentError) throw error;
          // Network failure or timeout: worth another attempt.
          const failure = error as Error & { cause?: { code?: string } };
          lastFailure = `webhook unreachable: ${failure.name === "TimeoutError" ? `no answer in ${timeoutMs} ms` : (failure.cause?.code ?? failure.message)}`;
        }
        if (attempt < attempts) {
          const backoff = Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1));
          // Jitter keeps many consumers from retrying in step.
          await sleep(Math.min(maxBackoffMs, Math.max(retryAfterMs ?? 0, backoff / 2 + Math.random() * (backoff / 2))));
        }
      }
      throw new Error(`${lastFailure} (after ${attempts} attempts)`);
    },
  };
}
