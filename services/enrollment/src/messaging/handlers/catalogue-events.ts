import { GroupClosed, GroupOpened, GroupUpdated, ProgramPublished, ProgramUpdated, type EventEnvelope } from "@kruzhok/contracts";
import { causeOf, handlerFor } from "@kruzhok/messaging";
import type { PoolClient } from "@kruzhok/postgres";
import type { z } from "zod";
import { closeGroupOf, recordGroup, recordProgramTitle } from "../../usecases/groups";
import type { EnrollmentDeps } from "../../deps";

type GroupData = z.infer<typeof GroupOpened.data>;

/** Programs' titles and groups as the catalogue announces them: full snapshots, upserted; more capacity frees seats. */
export function onCatalogueEvents({ clock }: Pick<EnrollmentDeps, "clock">) {
  const recordSnapshot = (tx: PoolClient, event: EventEnvelope<GroupData>) => {
    const g = event.data;
    return recordGroup(
      tx,
      {
        groupId: g.groupId,
        municipalityId: event.municipalityId,
        programId: g.programId,
        providerId: g.providerId,
        capacity: g.capacity,
        timeZone: g.schedule.timeZone,
        slots: g.schedule.slots,
        startsOn: g.startsOn,
        endsOn: g.endsOn,
        ageMin: g.ageRange.min,
        ageMax: g.ageRange.max,
        fundingKind: g.fundingKind,
        accepting: g.acceptingApplications,
        certificationExpiresOn: g.certificationExpiresOn,
      },
      clock(),
      causeOf(event),
    );
  };
  return [
    handlerFor(ProgramPublished, (event, { tx }) => recordProgramTitle(tx, event.data.programId, event.data.title, clock())),
    handlerFor(ProgramUpdated, (event, { tx }) => recordProgramTitle(tx, event.data.programId, event.data.title, clock())),
    handlerFor(GroupOpened, (event, { tx }) => recordSnapshot(tx, event)),
    handlerFor(GroupUpdated, (event, { tx }) => recordSnapshot(tx, event)),
    handlerFor(GroupClosed, (event, { tx }) => closeGroupOf(tx, event.data.groupId, clock(), causeOf(event))),
  ];
}
