import type { EventHandler } from "@kruzhok/messaging";
import type { EnrollmentDeps } from "../../deps";
import { catalogueHandlers } from "./catalogue";
import { registryHandlers } from "./registry";

/** Every event enrollment consumes, one handler per type and version. */
export function enrollmentHandlers(deps: Pick<EnrollmentDeps, "clock">): EventHandler[] {
  return [...registryHandlers(deps), ...catalogueHandlers(deps)] as EventHandler[];
}
