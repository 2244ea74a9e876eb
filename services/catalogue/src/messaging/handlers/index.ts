import type { EventHandler } from "@kruzhok/messaging";
import type { CatalogueDeps } from "../../deps";
import { onEnrollmentEvents } from "./enrollment-events";
import { onRegistryEvents } from "./registry-events";

/** Every event the catalogue consumes, one handler per type and version: each calls one use case. */
export function eventHandlers(deps: CatalogueDeps): EventHandler[] {
  return [...onRegistryEvents(deps), ...onEnrollmentEvents(deps)] as EventHandler[];
}
