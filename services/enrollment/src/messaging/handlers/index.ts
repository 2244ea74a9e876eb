import type { EventHandler } from "@kruzhok/messaging";
import type { EnrollmentDeps } from "../../deps";
import { onCatalogueEvents } from "./catalogue-events";
import { onRegistryEvents } from "./registry-events";

/** Every event enrollment consumes, one handler per type and version. */
export function eventHandlers(deps: Pick<EnrollmentDeps, "clock" | "positions">): EventHandler[] {
  return [...onRegistryEvents(deps), ...onCatalogueEvents(deps)] as EventHandler[];
}
