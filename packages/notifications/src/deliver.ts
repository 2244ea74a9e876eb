import type { EventEnvelope } from "@kruzhok/contracts";
import { isPermanent, PermanentError } from "@kruzhok/errors";
import { parseNotification, type Channel, type OutgoingMessage, type RecipientLookup } from "./channel";
import type { DeliveryStore } from "./store";
import { renderNotification } from "./templates";

export interface NotificationDeps {
  channels: readonly Channel[];
  recipients: RecipientLookup;
  store: DeliveryStore;
  clock: () => Date;
  /** How long a claim protects a send in progress; longer than a channel's worst case (SMTP timeouts, webhook retries). */
  leaseMs?: number;
  /** A child logger per message, as the consumer runner gives one; optional so that tools can call this bare. */
  logger?: { warn(object: object, message: string): void };
}

export type ChannelOutcome =
  | "sent"
  | "skipped"
  | "failed"
  | "retry_later"
  | "already_delivered"
  | "already_skipped"
  | "already_failed"
  | "in_progress_elsewhere";

export interface DeliveryReport {
  eventId: string;
  locale: OutgoingMessage["locale"];
  channels: { channel: string; outcome: ChannelOutcome; error?: string }[];
}

/**
 * Deliver one notification through every channel, at most once per (event, channel) as far as
 * this service can tell: a channel already recorded as delivered, skipped or failed for this
 * event id is not tried again, so a redelivered or replayed event sends nothing twice. (A crash
 * between a channel's send and its record means that channel sends again after the lease: the
 * event id travels as Message-ID and Idempotency-Key so the receiving side can drop it.)
 *
 * Then: if some channel failed in a way worth retrying, this throws a plain Error, and the
 * consumer retries the event later; the channels done stay done. If nothing reached the family
 * and some channel refused for good, this throws PermanentError: the event goes to the dead
 * letters with the reason. A guardian no channel can reach (no address, no webhook) is reported,
 * not an error.
 *
 * Wire it as the handler of each contract in `notificationEvents`, ignoring the handler's
 * transaction (see `postgresDeliveryStore`).
 */
export async function deliverNotification(event: EventEnvelope<unknown>, deps: NotificationDeps): Promise<DeliveryReport> {
  const notification = parseNotification(event);
  const { guardianId, childId } = notification.data;
  const recipient = await deps.recipients(guardianId, notification.municipalityId);
  const rendered = renderNotification(notification, recipient?.locale ?? null);
  const message: OutgoingMessage = {
    notificationId: notification.id,
    type: notification.type,
    occurredAt: notification.occurredAt,
    municipalityId: notification.municipalityId,
    guardianId,
    childId,
    ...rendered,
    facts: notification.data,
  };
  const leaseMs = deps.leaseMs ?? 5 * 60_000;
  const report: DeliveryReport = { eventId: notification.id, locale: rendered.locale, channels: [] };
  const retryLater: string[] = [];
  const refused: string[] = [];
  for (const channel of deps.channels) {
    const key = { eventId: notification.id, channel: channel.name };
    const claim = await deps.store.claim(key, notification.type, deps.clock(), leaseMs);
    if (!claim.claimed) {
      const outcome = (
        {
          delivered: "already_delivered",
          skipped: "already_skipped",
          failed: "already_failed",
          sending: "in_progress_elsewhere",
          pending: "in_progress_elsewhere",
        } as const
      )[claim.status];
      report.channels.push({ channel: channel.name, outcome });
      if (outcome === "in_progress_elsewhere") retryLater.push(`${channel.name}: being sent by another worker`);
      // A replay after a refusal ends as the first delivery did (dead letters), not as a silent success.
      if (outcome === "already_failed") refused.push(`${channel.name}: refused before`);
      continue;
    }
    try {
      const sent = await channel.send(message, recipient);
      await deps.store.finish(key, sent === "sent" ? "delivered" : "skipped", deps.clock());
      report.channels.push({ channel: channel.name, outcome: sent });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (isPermanent(error)) {
        await deps.store.finish(key, "failed", deps.clock(), reason);
        report.channels.push({ channel: channel.name, outcome: "failed", error: reason });
        refused.push(`${channel.name}: ${reason}`);
      } else {
        await deps.store.release(key, reason);
        report.channels.push({ channel: channel.name, outcome: "retry_later", error: reason });
        retryLater.push(`${channel.name}: ${reason}`);
      }
    }
  }
  if (retryLater.length > 0) {
    throw new Error(`notification ${notification.id} not delivered yet: ${retryLater.join("; ")}`);
  }
  const reached = report.channels.some((c) => c.outcome === "sent" || c.outcome === "already_delivered");
  if (!reached && refused.length > 0) {
    throw new PermanentError(`notification ${notification.id} refused by every channel: ${refused.join("; ")}`);
  }
  if (!reached) deps.logger?.warn({ eventId: notification.id, type: notification.type, report }, "no channel could reach the guardian");
  return report;
}
