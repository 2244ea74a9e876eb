import type { z } from "zod";
import {
  notificationEvents,
  type EventEnvelope,
  type NotificationApplicationRefused,
  type NotificationApplicationRefusedV1,
  type NotificationCampaignResult,
  type NotificationCategoryEnding,
  type NotificationCertificateEnding,
  type NotificationEnrollmentEnded,
  type NotificationLocale,
  type NotificationOfferExpiring,
  type NotificationOfferMade,
  type NotificationPositionApproaching,
  type NotificationSeatPassedWhileFinancing,
} from "@kruzhok/contracts";
import { PermanentError } from "@kruzhok/errors";

type Of<C extends (typeof notificationEvents)[number]> = EventEnvelope<z.infer<C["data"]>> & { type: C["type"] };

/** A notification event, told apart by `type`. */
export type NotificationEvent =
  | Of<typeof NotificationOfferMade>
  | Of<typeof NotificationOfferExpiring>
  | Of<typeof NotificationPositionApproaching>
  | Of<typeof NotificationApplicationRefused>
  | Of<typeof NotificationApplicationRefusedV1>
  | Of<typeof NotificationEnrollmentEnded>
  | Of<typeof NotificationCampaignResult>
  | Of<typeof NotificationSeatPassedWhileFinancing>
  | Of<typeof NotificationCategoryEnding>
  | Of<typeof NotificationCertificateEnding>;

export type NotificationType = NotificationEvent["type"];

/**
 * Validate an envelope as one of the notification contracts. Whatever the consumer runner
 * already checked is checked again: the function is also called outside it (a replay tool, a
 * test), and a notification that breaks its contract is permanent (dead letters), never retried.
 */
export function parseNotification(event: EventEnvelope<unknown>): NotificationEvent {
  const contract = notificationEvents.find((c) => c.type === event.type && c.version === event.version);
  if (!contract) throw new PermanentError(`${event.type} v${event.version} is not a notification this service delivers`);
  const data = contract.data.safeParse(event.data);
  if (!data.success) {
    throw new PermanentError(`${event.type} v${event.version} breaks its contract: ${data.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  return { ...event, data: data.data } as NotificationEvent;
}

/** How to reach a guardian, from the pluggable recipient lookup (the registry's contacts, a directory). */
export interface Recipient {
  /** Null when the guardian gave none: the email channel skips the notification. */
  email: string | null;
  /** For a channel that texts (none yet); absent when the lookup does not know it. */
  phone?: string | null;
  /** The guardian's chosen language, when known; it wins over the event's and the currency's. */
  locale: NotificationLocale | null;
}

/** Finds a guardian's contact; null when the guardian is unknown (channels that need no address still deliver). */
export type RecipientLookup = (guardianId: string, municipalityId: string) => Promise<Recipient | null>;

/** A rendered notification, the same for every channel. */
export interface OutgoingMessage {
  /** The event id: the idempotency key a receiver can deduplicate by. */
  notificationId: string;
  type: NotificationType;
  occurredAt: string;
  municipalityId: string;
  guardianId: string;
  childId: string;
  locale: NotificationLocale;
  subject: string;
  text: string;
  /** The event's data, for receivers that write their own text (a portal, a messenger bot). */
  facts: NotificationEvent["data"];
}

/**
 * One way of reaching families. `name` keys the delivered-set, so it must stay stable once
 * deliveries are recorded. `send` resolves `sent`, or `skipped` when this channel cannot reach
 * this recipient (no address); it throws PermanentError when retrying cannot help (the server
 * refused the address) and any other error when it can (server down, timeout).
 */
export interface Channel {
  readonly name: string;
  send(message: OutgoingMessage, recipient: Recipient | null): Promise<"sent" | "skipped">;
  /** Ends what the channel keeps open between messages (SMTP's pooled connections), when the service stops. */
  close?(): void;
}
