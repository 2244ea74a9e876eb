import type { EventHandler } from "@kruzhok/messaging";
import type { AttendanceDeps } from "../../deps";
import { onCatalogueEvents } from "./catalogue-events";
import { onEnrollmentEvents } from "./enrollment-events";
import { onRegistryEvents } from "./registry-events";

/** Every event attendance consumes, one handler per type and version: each calls one use case. */
export function eventHandlers(deps: AttendanceDeps): EventHandler[] {
  return [...onRegistryEvents(deps), ...onCatalogueEvents(deps), ...onEnrollmentEvents(deps)] as EventHandler[];
}
