import type { EventHandler } from "@kruzhok/messaging";
import type { CatalogueDeps } from "../../deps";
import { enrollmentHandlers } from "./enrollment";
import { certificateIssued, municipalityCreated, municipalityYearSet, providerHandlers } from "./registry";

/** Every event the catalogue consumes, one handler per type and version. */
export function catalogueHandlers(deps: CatalogueDeps): EventHandler[] {
  const searchVisible = [municipalityCreated, municipalityYearSet, ...providerHandlers(deps), ...enrollmentHandlers(deps)] as EventHandler[];
  return [certificateIssued, ...searchVisible.map((handler) => changesSearch(handler, deps))];
}

/**
 * Events that change what the navigator shows (a time zone, a nominal, a provider's status or
 * name, free seats) tell the answer cache inside their transaction, so that the search after
 * the event is handled sees it (see store/search-cache.ts). Guardian links do not.
 */
function changesSearch(handler: EventHandler, { searchCache }: Pick<CatalogueDeps, "searchCache">): EventHandler {
  return {
    contract: handler.contract,
    async handle(event, context) {
      await handler.handle(event, context);
      await searchCache.changing(context.tx, event.municipalityId);
    },
  };
}
