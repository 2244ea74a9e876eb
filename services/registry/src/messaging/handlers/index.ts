import type { EventHandler } from "@kruzhok/messaging";
import type { Channel } from "@kruzhok/notifications";
import type { RegistryDeps } from "../../deps";
import { onEnrollmentEvents } from "./enrollment-events";
import { onNotificationEvents } from "./notification-events";

export { notificationChannels } from "./notification-events";

/**
 * Every event the registry consumes, one handler per type and version: each calls one use case.
 * `channels` are the notification channels the configuration turns on (see
 * notificationChannels); without any, notifications are consumed and logged as unreachable.
 */
export function eventHandlers(deps: RegistryDeps & { channels?: readonly Channel[] }): EventHandler[] {
  return [...onEnrollmentEvents(deps), ...onNotificationEvents(deps, deps.channels ?? [])] as EventHandler[];
}
