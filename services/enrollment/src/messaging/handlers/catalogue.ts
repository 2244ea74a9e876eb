import { GroupClosed, GroupOpened, GroupUpdated, ProgramPublished, ProgramUpdated, type EventEnvelope } from "@kruzhok/contracts";
import { handlerFor } from "@kruzhok/messaging";
import type { PoolClient } from "@kruzhok/postgres";
import type { z } from "zod";
import { lockGroupQueue } from "../../store/applications";
import { upsertProgramTitle } from "../../store/notifications";
import { upsertGroup } from "../../store/reference";
import { closeGroupOf } from "../../usecases/groups";
import { fillSeats } from "../../usecases/seats";
import type { EnrollmentDeps } from "../../deps";

type GroupData = z.infer<typeof GroupOpened.data>;

/** Groups as the catalogue announces them: full snapshots, upserted; more capacity frees seats. */
export function catalogueHandlers({ clock }: Pick<EnrollmentDeps, "clock">) {
  async function apply(tx: PoolClient, event: EventEnvelope<GroupData>): Promise<void> {
    const g = event.data;
    const now = clock();
    // The queue lock first: capacity and the offers it allows change together.
    await lockGroupQueue(tx, g.groupId);
    await upsertGroup(tx, {
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
    }, now);
    // A raised capacity (or a first snapshot) may free seats for the queue.
    await fillSeats(tx, g.groupId, now, { correlationId: event.correlationId, causationId: event.id });
  }
  return [
    // Only the title: messages to families say which program they are about.
    handlerFor(ProgramPublished, (event, { tx }) => upsertProgramTitle(tx, event.data.programId, event.data.title, clock())),
    handlerFor(ProgramUpdated, (event, { tx }) => upsertProgramTitle(tx, event.data.programId, event.data.title, clock())),
    handlerFor(GroupOpened, (event, { tx }) => apply(tx, event)),
    handlerFor(GroupUpdated, (event, { tx }) => apply(tx, event)),
    handlerFor(GroupClosed, (event, { tx }) => closeGroupOf(tx, event.data.groupId, clock(), { correlationId: event.correlationId, causationId: event.id })),
  ];
}
