import { notificationEvents } from "@kruzhok/contracts";
import { handlerFor, type EventHandler } from "@kruzhok/messaging";
import { deliverNotification, type NotificationDeps } from "./deliver";

/**
 * One consumer handler per notification contract. The runner's transaction (and its inbox row)
 * is not used for the delivered-set: that commits on its own (see `postgresDeliveryStore`).
 */
export function notificationHandlers(deps: Omit<NotificationDeps, "logger">): EventHandler[] {
  return notificationEvents.map((contract) =>
    handlerFor(contract, async (event, { logger }) => {
      await deliverNotification(event, { ...deps, logger });
    }),
  );
}
