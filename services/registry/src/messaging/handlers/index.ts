import type { EventHandler } from "@kruzhok/messaging";
import type { RegistryDeps } from "../../deps";

/** Every event the registry consumes, one handler per type and version. */
export function registryHandlers(_deps: RegistryDeps): EventHandler[] {
  return [];
}
