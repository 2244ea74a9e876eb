import { GroupOpened, GroupUpdated } from "@kruzhok/contracts";
import { causeOf, handlerFor } from "@kruzhok/messaging";
import { recordFact } from "../../usecases/record";
import type { StatisticsDeps } from "../../deps";

/** Groups' direction and funding kind: enrollments are counted by them. */
export function onCatalogueEvents(deps: StatisticsDeps) {
  return [GroupOpened, GroupUpdated].map((contract) =>
    handlerFor(contract, (event, { tx }) =>
      recordFact(deps, tx, event, { kind: "group", groupId: event.data.groupId, direction: event.data.direction, fundingKind: event.data.fundingKind }, causeOf(event)),
    ),
  );
}
