import type { EventHandler } from "@kruzhok/messaging";
import type { Channel } from "@kruzhok/notifications";
import type { RegistryDeps } from "../../deps";
import { conversionRequestedHandler } from "./conversion-requested";
import { registryNotificationHandlers } from "./notifications";

export { guardianRecipients, notificationChannels } from "./notifications";

/**
 * Every event the registry consumes, one handler per type and version. `channels` are the
 * notification channels the configuration turns on (see notificationChannels); without any,
 * notifications are consumed and logged as unreachable.
 */
export function registryHandlers(deps: RegistryDeps & { channels?: readonly Channel[] }): EventHandler[] {
  return [conversionRequestedHandler(deps), ...registryNotificationHandlers(deps, deps.channels ?? [])];
}
