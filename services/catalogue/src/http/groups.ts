import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { correlationIdOf, requireActor } from "@kruzhok/http";
import { catalogueError } from "../domain/errors";
import { ownedBy, requireVisible, withAcceptance } from "../domain/listing";
import { todayIn } from "../domain/schedule";
import { findGroup, listGroups } from "../store/groups";
import { findProgram } from "../store/programs";
import { addGroup, closeGroup, editGroup } from "../usecases/groups";
import { municipalityOf } from "../usecases/programs";
import type { CatalogueDeps } from "../deps";
import { Group, GroupBody, IdParams } from "./schemas";

export const groupRoutes: FastifyPluginAsync<CatalogueDeps> = async (plain, deps) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const { pool, clock } = deps;
  const tags = ["groups"];

  /** The program and its municipality, for reads. */
  async function programOf(programId: string) {
    const program = await findProgram(pool, programId);
    if (!program) throw catalogueError("PROGRAM_NOT_FOUND", `no program ${programId}`);
    return { program, municipality: await municipalityOf(pool, program.municipalityId) };
  }

  app.post(
    "/programs/:id/groups",
    { schema: { tags, operationId: "addGroup", summary: "Add a group to a program (its provider)", params: IdParams, body: GroupBody, response: { 201: Group } } },
    async (request, reply) => {
      const group = await addGroup(deps, requireActor(request), { programId: request.params.id, plan: request.body }, { correlationId: correlationIdOf(request) });
      return reply.code(201).header("location", `/groups/${group.id}`).send(group);
    },
  );

  app.get(
    "/programs/:id/groups",
    { schema: { tags, operationId: "listProgramGroups", summary: "Groups of a program (open ones for families)", params: IdParams, response: { 200: Group.array() } }, config: { public: true } },
    async (request) => {
      const { program, municipality } = await programOf(request.params.id);
      requireVisible(request.actor, program, request.params.id);
      const today = todayIn(municipality.timeZone, clock());
      // Its provider sees closed groups too.
      return (await listGroups(pool, program.id, !ownedBy(request.actor, program))).map((group) => withAcceptance(group, program, today));
    },
  );

  app.get(
    "/groups/:id",
    { schema: { tags, operationId: "getGroup", summary: "A group with its schedule and free seats", params: IdParams, response: { 200: Group } }, config: { public: true } },
    async (request) => {
      const group = await findGroup(pool, request.params.id);
      if (!group) throw catalogueError("GROUP_NOT_FOUND", `no group ${request.params.id}`);
      const { program, municipality } = await programOf(group.programId);
      requireVisible(request.actor, program, program.id);
      return withAcceptance(group, program, todayIn(municipality.timeZone, clock()));
    },
  );

  app.put(
    "/groups/:id",
    { schema: { tags, operationId: "editGroup", summary: "Change a group's capacity, schedule, dates or exceptions (its provider)", params: IdParams, body: GroupBody, response: { 200: Group } } },
    async (request) => editGroup(deps, requireActor(request), { groupId: request.params.id, plan: request.body }, { correlationId: correlationIdOf(request) }),
  );

  app.post(
    "/groups/:id/closure",
    { schema: { tags, operationId: "closeGroup", summary: "Close a group (its provider); it takes no more applications", params: IdParams, response: { 200: Group } } },
    async (request) => closeGroup(deps, requireActor(request), request.params.id, { correlationId: correlationIdOf(request) }),
  );
};
