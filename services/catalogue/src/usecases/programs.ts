import { v7 as uuidv7 } from "uuid";
import { requireRole, type Actor } from "@kruzhok/actor";
import { ProgramPublished, ProgramUpdated, ProgramWithdrawn } from "@kruzhok/contracts";
import { emit, type Cause } from "@kruzhok/messaging";
import { pageByIdOf, type Queryable } from "@kruzhok/postgres";
import { catalogueError } from "../domain/errors";
import { checkProgramContent, decideProgram, type ProgramCommand, type ProgramContent } from "../domain/program";
import { todayIn } from "../domain/schedule";
import { announceGroupClosed, announceGroupsOpened, announceGroupsUpdated, announceProgram } from "../store/announcements";
import { listGroups, markGroupClosed } from "../store/groups";
import { findProgram, insertProgram, listProgramsOfProvider, setProgramStatus, updateProgramContent, type ProgramRow } from "../store/programs";
import { findMunicipality, findProvider, type MunicipalityRow } from "../store/projections";
import type { CatalogueDeps } from "../deps";
import { requireOwner, requireProviderDesk } from "./access";
import { inTransaction, type Write } from "./transaction";

/** The municipality as the registry announced it; a program or group cannot be placed before that. */
export async function municipalityOf(db: Queryable, id: string): Promise<MunicipalityRow> {
  const municipality = await findMunicipality(db, id);
  if (!municipality) throw catalogueError("MUNICIPALITY_UNKNOWN", "the catalogue has not yet heard of this municipality from the registry", { awaitingNews: true });
  return municipality;
}

/** The program, locked, with the actor checked as its provider. */
async function lockOwned({ tx }: Write, actor: Actor, id: string): Promise<ProgramRow> {
  const program = await findProgram(tx, id, true);
  if (!program) throw catalogueError("PROGRAM_NOT_FOUND", `no program ${id}`);
  requireOwner(actor, program);
  return program;
}

/**
 * A provider drafts a program in its own municipality. A suspended provider may prepare drafts
 * (it publishes once reinstated); one the registry rejected or never announced may not.
 */
export async function createProgram(deps: CatalogueDeps, actor: Actor, content: ProgramContent, cause: Cause): Promise<ProgramRow> {
  const providerId = requireRole(actor, "provider").providerId ?? "";
  return inTransaction(deps, cause, async ({ tx, now }) => {
    const provider = await findProvider(tx, providerId);
    if (!provider) {
      // The registry's approval may not have reached the catalogue yet.
      throw catalogueError("PROVIDER_NOT_APPROVED", "only a provider the region approved can create programs; an approval given just now reaches the catalogue in a moment", {
        awaitingNews: true,
      });
    }
    if (provider.status === "rejected") throw catalogueError("PROVIDER_NOT_APPROVED", "only a provider the region approved can create programs");
    const municipality = await municipalityOf(tx, provider.municipalityId);
    checkProgramContent(content, { currency: municipality.currency, today: todayIn(municipality.timeZone, now) });
    const id = uuidv7({ msecs: now.getTime() });
    await insertProgram(tx, { id, providerId, municipalityId: provider.municipalityId, providerApproved: provider.status === "approved", content }, now);
    return (await findProgram(tx, id))!;
  });
}

/** Its provider edits a program until it is withdrawn; an edit of a published one is announced, with its groups. */
export async function editProgram(deps: CatalogueDeps, actor: Actor, command: { programId: string; content: ProgramContent }, cause: Cause): Promise<ProgramRow> {
  return inTransaction(deps, cause, async (write) => {
    const { tx, now } = write;
    const program = await lockOwned(write, actor, command.programId);
    const municipality = await municipalityOf(tx, program.municipalityId);
    const today = todayIn(municipality.timeZone, now);
    decideProgram(program, { kind: "edit" }, today);
    checkProgramContent(command.content, { currency: municipality.currency, today });
    await updateProgramContent(tx, program.id, command.content, now);
    const updated = (await findProgram(tx, program.id))!;
    if (updated.status === "published") {
      await announceProgram(tx, ProgramUpdated, updated, write.cause, now);
      // Price, ages and funding travel with each group: their holders need the new values.
      await announceGroupsUpdated(tx, { programId: program.id }, "program_updated", write.cause, now);
      write.altersSearchIn(program.municipalityId);
    }
    return updated;
  });
}

/** Its provider publishes a draft: the program and the groups prepared in it are announced and listed. */
export function publishProgram(deps: CatalogueDeps, actor: Actor, programId: string, cause: Cause): Promise<ProgramRow> {
  return changeStatus(deps, actor, programId, { kind: "publish" }, cause);
}

/** Its provider withdraws a program: its groups close, and a published one leaves the navigator, announced. */
export function withdrawProgram(deps: CatalogueDeps, actor: Actor, programId: string, cause: Cause): Promise<ProgramRow> {
  return changeStatus(deps, actor, programId, { kind: "withdraw" }, cause);
}

async function changeStatus(deps: CatalogueDeps, actor: Actor, programId: string, command: ProgramCommand, cause: Cause): Promise<ProgramRow> {
  return inTransaction(deps, cause, async (write) => {
    const { tx, now } = write;
    const program = await lockOwned(write, actor, programId);
    const municipality = await municipalityOf(tx, program.municipalityId);
    const status = decideProgram(program, command, todayIn(municipality.timeZone, now));
    await setProgramStatus(tx, program.id, status, now);
    const listed = program.status === "published";
    if (listed || status === "published") write.altersSearchIn(program.municipalityId);
    const changed = (await findProgram(tx, program.id))!;
    if (command.kind === "publish") {
      await announceProgram(tx, ProgramPublished, changed, write.cause, now);
      // Groups prepared while the program was a draft open with it.
      await announceGroupsOpened(tx, { programId: program.id }, write.cause, now);
    }
    if (command.kind === "withdraw") {
      const { id, providerId, municipalityId } = program;
      for (const group of await listGroups(tx, id, true)) {
        await markGroupClosed(tx, group.id, now);
        if (listed) await announceGroupClosed(tx, { groupId: group.id, programId: id, providerId, municipalityId }, "program_withdrawn", write.cause, now);
      }
      if (listed) await emit(tx, ProgramWithdrawn, { ...write.cause, municipalityId, aggregateId: id }, { programId: id, providerId }, now);
    }
    return changed;
  });
}

/** A page of a provider's programs in every status (or the one asked), for the provider and its municipality's office. */
export async function providerPrograms(
  db: Queryable,
  actor: Actor,
  query: { providerId: string; status?: ProgramRow["status"] | undefined; after?: string | undefined; limit: number },
): Promise<{ items: ProgramRow[]; nextCursor: string | null }> {
  await requireProviderDesk(db, actor, query.providerId);
  return pageByIdOf(await listProgramsOfProvider(db, query.providerId, { status: query.status, after: query.after, limit: query.limit + 1 }), query.limit);
}
