import { GroupOpened, GroupUpdated } from "@kruzhok/contracts";
import { causeOf, handlerFor } from "@kruzhok/messaging";
import { recordGroup } from "../../usecases/projections";
import type { PaymentsDeps } from "../../deps";

/** The catalogue's groups: price per hour, lesson length, funding kind. */
export function onCatalogueEvents(deps: PaymentsDeps) {
  return [
    handlerFor(GroupOpened, (event, { tx }) => recordGroup(deps, tx, event.municipalityId, event.data, causeOf(event))),
    handlerFor(GroupUpdated, (event, { tx }) => recordGroup(deps, tx, event.municipalityId, event.data, causeOf(event))),
  ];
}
