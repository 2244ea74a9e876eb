// Notifications to families: contracts on the notifications topic, rendered in Russian or
// Kazakh, delivered through pluggable channels (SMTP email, signed webhook) at most once per
// event and channel.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Migration } from "@kruzhok/postgres";

export { parseNotification, type Channel, type NotificationEvent, type NotificationType, type OutgoingMessage, type Recipient, type RecipientLookup } from "./channel";
export { deliverNotification, type ChannelOutcome, type DeliveryReport, type NotificationDeps } from "./deliver";
export { notificationHandlers } from "./handlers";
export { isMailAddress, redactAddresses, sendMail, smtpChannel, SmtpReplyError, type Mail, type SmtpChannel, type SmtpConfig } from "./smtp";
export { postgresDeliveryStore, type Claim, type DeliveryKey, type DeliveryStatus, type DeliveryStore } from "./store";
export { chooseLocale, renderNotification, type RenderedText } from "./templates";
export { signWebhook, verifyWebhookSignature, webhookChannel, type WebhookConfig } from "./webhook";

const migration = "0100_notifications.sql";

/** The delivered-set table; the service runs it after the kit's and its own migrations. */
export const notificationMigrations: Migration[] = [
  { name: migration, sql: readFileSync(fileURLToPath(new URL(`./migrations/${migration}`, import.meta.url)), "utf8") },
];
