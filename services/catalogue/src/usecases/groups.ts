import { v7 as uuidv7 } from "uuid";
import type { Actor } from "@kruzhok/actor";
import type { Cause } from "@kruzhok/messaging";
import { catalogueError } from "../domain/errors";
import { withAcceptance } from "../domain/listing";
import { checkTakesGroups } from "../domain/program";
import { checkCapacity, checkGroupOpen, checkGroupPlan, todayIn, type GroupPlan } from "../domain/schedule";
import { announceGroupClosed, announceGroupsOpened, announceGroupsUpdated } from "../store/announcements";
import { findGroup, insertGroup, markGroupClosed, updateGroupPlan, type GroupRow } from "../store/groups";
import { findProgram, type ProgramRow } from "../store/programs";
import type { MunicipalityRow } from "../store/projections";
import type { CatalogueDeps } from "../deps";
import { requireOwner } from "./access";
import { municipalityOf } from "./programs";
import { inTransaction, type Write } from "./transaction";

/** A group as it is answered: with whether it takes applications today in its municipality. */
export type GroupView = GroupRow & { acceptingApplications: boolean };

/** The program (locked) and its municipality. */
async function programOf({ tx }: Write, programId: string): Promise<{ program: ProgramRow; municipality: MunicipalityRow }> {
  const program = await findProgram(tx, programId, true);
  if (!program) throw catalogueError("PROGRAM_NOT_FOUND", `no program ${programId}`);
  return { program, municipality: await municipalityOf(tx, program.municipalityId) };
}

/** The group and its program, locked, with the actor checked as the program's provider and the group still open. */
async function lockOwnedGroup(write: Write, actor: Actor, id: string) {
  const group = await findGroup(write.tx, id, true);
  if (!group) throw catalogueError("GROUP_NOT_FOUND", `no group ${id}`);
  const { program, municipality } = await programOf(write, group.programId);
  requireOwner(actor, program);
  checkGroupOpen(group.status);
  return { group, program, municipality };
}

/** The group as written, read back in the transaction. */
async function viewOf({ tx, now }: Write, groupId: string, program: ProgramRow, municipality: MunicipalityRow): Promise<GroupView> {
  return withAcceptance((await findGroup(tx, groupId))!, program, todayIn(municipality.timeZone, now));
}

/** Its provider adds a group to a program; one added to a published program is announced and listed at once. */
export async function addGroup(deps: CatalogueDeps, actor: Actor, command: { programId: string; plan: GroupPlan }, cause: Cause): Promise<GroupView> {
  return inTransaction(deps, cause, async (write) => {
    const { tx, now } = write;
    const { program, municipality } = await programOf(write, command.programId);
    requireOwner(actor, program);
    checkTakesGroups(program.status);
    checkGroupPlan(command.plan, municipality.timeZone, todayIn(municipality.timeZone, now));
    const id = uuidv7({ msecs: now.getTime() });
    await insertGroup(tx, { id, programId: program.id, plan: command.plan }, now);
    // A draft's groups are announced when the program is published.
    if (program.status === "published") {
      await announceGroupsOpened(tx, { groupId: id }, write.cause, now);
      write.altersSearchIn(program.municipalityId);
    }
    return viewOf(write, id, program, municipality);
  });
}

/** Its provider changes an open group's capacity (not below the seats taken), schedule, dates or exceptions. */
export async function editGroup(deps: CatalogueDeps, actor: Actor, command: { groupId: string; plan: GroupPlan }, cause: Cause): Promise<GroupView> {
  return inTransaction(deps, cause, async (write) => {
    const { tx, now } = write;
    const { group, program, municipality } = await lockOwnedGroup(write, actor, command.groupId);
    checkGroupPlan(command.plan, municipality.timeZone, todayIn(municipality.timeZone, now));
    checkCapacity(command.plan.capacity, group.activeEnrollments);
    await updateGroupPlan(tx, group.id, program.id, command.plan, now);
    if (program.status === "published") {
      await announceGroupsUpdated(tx, { groupId: group.id }, "edited", write.cause, now);
      write.altersSearchIn(program.municipalityId);
    }
    return viewOf(write, group.id, program, municipality);
  });
}

/** Its provider closes a group: it takes no more applications, and enrollment hears of it. */
export async function closeGroup(deps: CatalogueDeps, actor: Actor, groupId: string, cause: Cause): Promise<GroupView> {
  return inTransaction(deps, cause, async (write) => {
    const { tx, now } = write;
    const { group, program, municipality } = await lockOwnedGroup(write, actor, groupId);
    await markGroupClosed(tx, group.id, now);
    if (program.status === "published") {
      const { providerId, municipalityId } = program;
      await announceGroupClosed(tx, { groupId: group.id, programId: program.id, providerId, municipalityId }, "closed", write.cause, now);
      write.altersSearchIn(municipalityId);
    }
    return viewOf(write, group.id, program, municipality);
  });
}
