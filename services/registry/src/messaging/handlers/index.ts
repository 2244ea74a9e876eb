import type { EventHandler } from "@kruzhok/messaging";
import type { RegistryDeps } from "../../deps";
import { conversionRequestedHandler } from "./conversion-requested";

/** Every event the registry consumes, one handler per type and version. */
export function registryHandlers(deps: RegistryDeps): EventHandler[] {
  return [conversionRequestedHandler(deps)];
}
