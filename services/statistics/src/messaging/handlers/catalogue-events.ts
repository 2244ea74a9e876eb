import { GroupOpened, GroupUpdated } from "@kruzhok/contracts";
import { factOf } from "./facts";

/** Groups' direction and funding kind: enrollments are counted by them. */
export function catalogueFacts() {
  return [GroupOpened, GroupUpdated].map((contract) =>
    factOf(contract, (event) => ({ kind: "group", groupId: event.data.groupId, direction: event.data.direction, fundingKind: event.data.fundingKind })),
  );
}
