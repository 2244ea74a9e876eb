import type { EventHandler } from "@kruzhok/messaging";
import type { StatisticsDeps } from "../../deps";
import { onCatalogueEvents } from "./catalogue-events";
import { onEnrollmentEvents } from "./enrollment-events";
import { onRegistryEvents } from "./registry-events";

/** Every event statistics consumes, one handler per type and version: each calls recordFact. */
export function eventHandlers(deps: StatisticsDeps): EventHandler[] {
  return [...onRegistryEvents(deps), ...onCatalogueEvents(deps), ...onEnrollmentEvents(deps)] as EventHandler[];
}
