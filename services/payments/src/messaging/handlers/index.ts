import type { EventHandler } from "@kruzhok/messaging";
import type { PaymentsDeps } from "../../deps";
import { onAttendanceEvents } from "./attendance-events";
import { onCatalogueEvents } from "./catalogue-events";
import { onEnrollmentEvents } from "./enrollment-events";
import { onRegistryEvents } from "./registry-events";

/** Every event payments consumes, one handler per type and version: each calls one use case. */
export function eventHandlers(deps: PaymentsDeps): EventHandler[] {
  return [...onRegistryEvents(deps), ...onCatalogueEvents(deps), ...onEnrollmentEvents(deps), ...onAttendanceEvents(deps)] as EventHandler[];
}
