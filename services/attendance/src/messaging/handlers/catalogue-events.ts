import { GroupClosed, GroupOpened, GroupUpdated, type EventEnvelope } from "@kruzhok/contracts";
import { causeOf, handlerFor, type HandlerContext } from "@kruzhok/messaging";
import type { z } from "zod";
import { recordGroup, recordGroupClosed } from "../../usecases/projections";
import type { AttendanceDeps } from "../../deps";

/** The catalogue's groups: their weekly schedule in the municipality's zone, their span and exceptions; closed groups have no more lessons. */
export function onCatalogueEvents(deps: AttendanceDeps) {
  const snapshot = (event: EventEnvelope<z.infer<typeof GroupOpened.data>>, { tx }: HandlerContext) => {
    const g = event.data;
    return recordGroup(
      deps,
      tx,
      {
        id: g.groupId,
        municipalityId: event.municipalityId,
        providerId: g.providerId,
        programId: g.programId,
        timeZone: g.schedule.timeZone,
        slots: g.schedule.slots,
        startsOn: g.startsOn,
        endsOn: g.endsOn,
        exceptions: g.exceptions.map((e) => ({ date: e.date })),
      },
      new Date(event.occurredAt),
      causeOf(event),
    );
  };
  return [
    handlerFor(GroupOpened, snapshot),
    handlerFor(GroupUpdated, snapshot),
    handlerFor(GroupClosed, (event, { tx }) => recordGroupClosed(deps, tx, event.data.groupId, new Date(event.occurredAt), causeOf(event))),
  ];
}
