import { notificationHandlers, postgresDeliveryStore, smtpChannel, webhookChannel, type Channel, type RecipientLookup } from "@kruzhok/notifications";
import type { Queryable } from "@kruzhok/postgres";
import type { RegistryConfig } from "../../config";
import type { RegistryDeps } from "../../deps";
import { guardianContact } from "../../store/people";

/**
 * Notifications are delivered by the registry because the guardian's contacts live only here:
 * events carry ids, this service turns the id into an address.
 *
 * The event's municipality is not matched against the guardian's: a guardian registers once in
 * the region and may apply to a group in a neighbouring municipality. The guardian's own choice
 * of language wins; without one, the event's locale (or the municipality's currency) decides.
 */
export function guardianRecipients(db: Queryable): RecipientLookup {
  return async (guardianId) => {
    const contact = await guardianContact(db, guardianId);
    return contact ? { email: contact.email, phone: contact.phone, locale: contact.language } : null;
  };
}

type ChannelKeys = Pick<RegistryConfig, "SMTP_HOST" | "SMTP_PORT" | "SMTP_FROM" | "SMTP_SECURE" | "SMTP_USER" | "SMTP_PASS" | "NOTIFY_WEBHOOK_URL" | "NOTIFY_WEBHOOK_SECRET">;

/** The channels the configuration turns on; none when no key is set. */
export function notificationChannels(config: Partial<ChannelKeys>): Channel[] {
  const channels: Channel[] = [];
  if (config.SMTP_HOST && config.SMTP_FROM) {
    channels.push(
      smtpChannel({
        host: config.SMTP_HOST,
        port: config.SMTP_PORT ?? 25,
        from: config.SMTP_FROM,
        fromName: "Кружок",
        secure: config.SMTP_SECURE ?? false,
        ...(config.SMTP_USER && config.SMTP_PASS && { auth: { user: config.SMTP_USER, pass: config.SMTP_PASS } }),
      }),
    );
  }
  if (config.NOTIFY_WEBHOOK_URL && config.NOTIFY_WEBHOOK_SECRET) {
    channels.push(webhookChannel({ url: config.NOTIFY_WEBHOOK_URL, secret: config.NOTIFY_WEBHOOK_SECRET }));
  }
  return channels;
}

/**
 * What the registry hears on the notifications topic: one handler per notification contract,
 * delivering through `channels` (none: logged and acknowledged).
 */
export function onNotificationEvents({ pool, clock }: RegistryDeps, channels: readonly Channel[]) {
  // The delivered-set commits on the pool, not in the consumer's transaction (see postgresDeliveryStore).
  return notificationHandlers({ channels, recipients: guardianRecipients(pool), store: postgresDeliveryStore(pool), clock });
}
