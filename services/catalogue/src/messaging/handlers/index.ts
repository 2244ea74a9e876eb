import type { EventHandler } from "@kruzhok/messaging";
import type { CatalogueDeps } from "../../deps";
import { enrollmentHandlers } from "./enrollment";
import { certificateIssued, municipalityCreated, municipalityYearSet, providerHandlers } from "./registry";

/** Every event the catalogue consumes, one handler per type and version. */
export function catalogueHandlers(deps: CatalogueDeps): EventHandler[] {
  return [municipalityCreated, municipalityYearSet, certificateIssued, ...providerHandlers(deps), ...enrollmentHandlers(deps)] as EventHandler[];
}
