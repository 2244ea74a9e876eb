import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { v7 as uuidv7 } from "uuid";
import { correlationIdOf } from "@kruzhok/http";
import { withTransaction, type PoolClient, type Queryable } from "@kruzhok/postgres";
import { catalogueError } from "../domain/errors";
import { checkCapacity, checkGroupPlan } from "../domain/schedule";
import { announceGroupClosed, announceGroupsOpened, announceGroupsUpdated } from "../store/announcements";
import { closeGroup, findGroup, insertGroup, listGroups, updateGroupPlan, type GroupRow } from "../store/groups";
import { findProgram, type ProgramRow } from "../store/programs";
import { findMunicipality, type MunicipalityRow } from "../store/reference";
import type { CatalogueDeps } from "../deps";
import { acceptsApplications, requireOwner, requireVisible, todayIn } from "./access";
import { Group, GroupBody, IdParams } from "./schemas";

export const groupRoutes: FastifyPluginAsync<CatalogueDeps> = async (plain, { pool, clock, searchCache }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ["groups"];

  async function context(db: Queryable, programId: string): Promise<{ program: ProgramRow; municipality: MunicipalityRow }> {
    const program = await findProgram(db, programId, db !== pool);
    if (!program) throw catalogueError("PROGRAM_NOT_FOUND", `no program ${programId}`);
    const municipality = await findMunicipality(db, program.municipalityId);
    if (!municipality) throw catalogueError("MUNICIPALITY_UNKNOWN", "the catalogue has not yet heard of this municipality from the registry");
    return { program, municipality };
  }

  const view = (group: GroupRow, program: ProgramRow, municipality: MunicipalityRow) => ({
    ...group,
    acceptingApplications: acceptsApplications(program, group.status, todayIn(municipality.timeZone, clock())),
  });

  /** The group and its program, locked, with the caller checked as the program's provider. */
  async function lockOwnedGroup(tx: PoolClient, request: FastifyRequest, id: string) {
    const group = await findGroup(tx, id, true);
    if (!group) throw catalogueError("GROUP_NOT_FOUND", `no group ${id}`);
    const { program, municipality } = await context(tx, group.programId);
    requireOwner(request, program);
    if (group.status === "closed") throw catalogueError("GROUP_CLOSED", "the group is closed");
    return { group, program, municipality };
  }

  app.post(
    "/programs/:id/groups",
    { schema: { tags, summary: "Add a group to a program (its provider)", params: IdParams, body: GroupBody, response: { 201: Group } } },
    async (request, reply) => {
      const now = clock();
      const result = await withTransaction(pool, async (tx) => {
        const { program, municipality } = await context(tx, request.params.id);
        requireOwner(request, program);
        if (program.status === "withdrawn") throw catalogueError("PROGRAM_WITHDRAWN", "a withdrawn program takes no new groups");
        checkGroupPlan(request.body, municipality.timeZone);
        const id = uuidv7({ msecs: now.getTime() });
        await insertGroup(tx, { id, programId: program.id, plan: request.body }, now);
        // A draft's groups are announced when the program is published.
        if (program.status === "published") {
          await announceGroupsOpened(tx, { groupId: id }, { correlationId: correlationIdOf(request) }, now);
          await searchCache.changing(tx, program.municipalityId);
        }
        return view((await findGroup(tx, id))!, program, municipality);
      });
      return reply.code(201).header("location", `/groups/${result.id}`).send(result);
    },
  );

  app.get(
    "/programs/:id/groups",
    { schema: { tags, summary: "Groups of a program (open ones for families)", params: IdParams, response: { 200: Group.array() } }, config: { public: true } },
    async (request) => {
      const { program, municipality } = await context(pool, request.params.id);
      requireVisible(request, program, request.params.id);
      const own = request.actor?.role === "provider" && request.actor.providerId === program.providerId;
      return (await listGroups(pool, program.id, !own)).map((group) => view(group, program, municipality));
    },
  );

  app.get(
    "/groups/:id",
    { schema: { tags, summary: "A group with its schedule and free seats", params: IdParams, response: { 200: Group } }, config: { public: true } },
    async (request) => {
      const group = await findGroup(pool, request.params.id);
      if (!group) throw catalogueError("GROUP_NOT_FOUND", `no group ${request.params.id}`);
      const { program, municipality } = await context(pool, group.programId);
      requireVisible(request, program, program.id);
      return view(group, program, municipality);
    },
  );

  app.put(
    "/groups/:id",
    { schema: { tags, summary: "Change a group's capacity, schedule, dates or exceptions (its provider)", params: IdParams, body: GroupBody, response: { 200: Group } } },
    async (request) => {
      const now = clock();
      return withTransaction(pool, async (tx) => {
        const { group, program, municipality } = await lockOwnedGroup(tx, request, request.params.id);
        checkGroupPlan(request.body, municipality.timeZone);
        checkCapacity(request.body.capacity, group.activeEnrollments);
        await updateGroupPlan(tx, group.id, program.id, request.body, now);
        if (program.status === "published") {
          await announceGroupsUpdated(tx, { groupId: group.id }, "edited", { correlationId: correlationIdOf(request) }, now);
          await searchCache.changing(tx, program.municipalityId);
        }
        return view((await findGroup(tx, group.id))!, program, municipality);
      });
    },
  );

  app.post(
    "/groups/:id/closure",
    { schema: { tags, summary: "Close a group (its provider); it takes no more applications", params: IdParams, response: { 200: Group } } },
    async (request) => {
      const now = clock();
      return withTransaction(pool, async (tx) => {
        const { group, program, municipality } = await lockOwnedGroup(tx, request, request.params.id);
        await closeGroup(tx, group.id, now);
        if (program.status === "published") {
          await announceGroupClosed(tx, { groupId: group.id, programId: program.id, providerId: program.providerId, municipalityId: program.municipalityId }, "closed", { correlationId: correlationIdOf(request) }, now);
          await searchCache.changing(tx, program.municipalityId);
        }
        return view((await findGroup(tx, group.id))!, program, municipality);
      });
    },
  );
};
