import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { v7 as uuidv7 } from "uuid";
import { requireRole } from "@kruzhok/actor";
import { ProgramPublished, ProgramUpdated, ProgramWithdrawn } from "@kruzhok/contracts";
import { correlationIdOf, requireActor } from "@kruzhok/http";
import { emit } from "@kruzhok/messaging";
import { withTransaction, type PoolClient } from "@kruzhok/postgres";
import { catalogueError } from "../domain/errors";
import { checkProgramContent, decideProgram, type ProgramCommand } from "../domain/program";
import { announceGroupClosed, announceGroupsOpened, announceGroupsUpdated, announceProgram } from "../store/announcements";
import { closeGroup, listGroups } from "../store/groups";
import { findProgram, insertProgram, setProgramStatus, updateProgramContent, type ProgramRow } from "../store/programs";
import { findMunicipality, findProvider, type MunicipalityRow } from "../store/reference";
import type { CatalogueDeps } from "../deps";
import { requireOwner, requireVisible, todayIn } from "./access";
import { IdParams, Program, ProgramBody } from "./schemas";

export const programRoutes: FastifyPluginAsync<CatalogueDeps> = async (plain, { pool, clock, searchCache }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ["programs"];

  async function municipalityOf(tx: PoolClient, id: string): Promise<MunicipalityRow> {
    const municipality = await findMunicipality(tx, id);
    if (!municipality) throw catalogueError("MUNICIPALITY_UNKNOWN", "the catalogue has not yet heard of this municipality from the registry");
    return municipality;
  }

  async function lockOwned(tx: PoolClient, request: Parameters<typeof requireOwner>[0], id: string): Promise<ProgramRow> {
    const program = await findProgram(tx, id, true);
    if (!program) throw catalogueError("PROGRAM_NOT_FOUND", `no program ${id}`);
    requireOwner(request, program);
    return program;
  }

  app.post(
    "/programs",
    { schema: { tags, summary: "Create a draft program (provider)", body: ProgramBody, response: { 201: Program } } },
    async (request, reply) => {
      const actor = requireRole(requireActor(request), "provider");
      const providerId = actor.providerId ?? "";
      const now = clock();
      const program = await withTransaction(pool, async (tx) => {
        const provider = await findProvider(tx, providerId);
        if (!provider || provider.status === "rejected") {
          throw catalogueError("PROVIDER_NOT_APPROVED", "only a provider the region approved can create programs");
        }
        const municipality = await municipalityOf(tx, provider.municipalityId);
        checkProgramContent(request.body, { currency: municipality.currency, today: todayIn(municipality.timeZone, now) });
        const id = uuidv7({ msecs: now.getTime() });
        await insertProgram(tx, { id, providerId, municipalityId: provider.municipalityId, providerApproved: provider.status === "approved", content: request.body }, now);
        return (await findProgram(tx, id))!;
      });
      return reply.code(201).header("location", `/programs/${program.id}`).send(program);
    },
  );

  app.get(
    "/programs/:id",
    { schema: { tags, summary: "A program: families see listed ones, its provider every status", params: IdParams, response: { 200: Program } }, config: { public: true } },
    async (request) => requireVisible(request, await findProgram(pool, request.params.id), request.params.id),
  );

  app.put(
    "/programs/:id",
    { schema: { tags, summary: "Edit a program (its provider); a published one is announced as updated", params: IdParams, body: ProgramBody, response: { 200: Program } } },
    async (request) => {
      const now = clock();
      return withTransaction(pool, async (tx) => {
        const program = await lockOwned(tx, request, request.params.id);
        const municipality = await municipalityOf(tx, program.municipalityId);
        const today = todayIn(municipality.timeZone, now);
        decideProgram({ ...program, providerStatus: program.providerStatus }, { kind: "edit" }, today);
        checkProgramContent(request.body, { currency: municipality.currency, today });
        await updateProgramContent(tx, program.id, request.body, now);
        const updated = (await findProgram(tx, program.id))!;
        if (updated.status === "published") {
          const origin = { correlationId: correlationIdOf(request) };
          await announceProgram(tx, ProgramUpdated, updated, origin, now);
          // Price, ages and funding travel with each group: their holders need the new values.
          await announceGroupsUpdated(tx, { programId: program.id }, "program_updated", origin, now);
          await searchCache.changing(tx, program.municipalityId);
        }
        return updated;
      });
    },
  );

  const action = (path: string, summary: string, command: ProgramCommand) =>
    app.post(
      `/programs/:id/${path}`,
      // The program's stored certification, not a field of this (bodiless) request.
      { schema: { tags, summary, params: IdParams, response: { 200: Program } }, config: { fieldsIn: { certification: "as-is" } } },
      async (request) => {
        const now = clock();
        return withTransaction(pool, async (tx) => {
          const program = await lockOwned(tx, request, request.params.id);
          const municipality = await municipalityOf(tx, program.municipalityId);
          const status = decideProgram(program, command, todayIn(municipality.timeZone, now));
          await setProgramStatus(tx, program.id, status, now);
          await searchCache.changing(tx, program.municipalityId);
          const origin = { correlationId: correlationIdOf(request) };
          const changed = (await findProgram(tx, program.id))!;
          if (command.kind === "publish") {
            await announceProgram(tx, ProgramPublished, changed, origin, now);
            // Groups prepared while the program was a draft open with it.
            await announceGroupsOpened(tx, { programId: program.id }, origin, now);
          }
          if (command.kind === "withdraw") {
            const groups = await listGroups(tx, program.id, true);
            for (const group of groups) {
              await closeGroup(tx, group.id, now);
              if (program.status === "published") {
                await announceGroupClosed(tx, { groupId: group.id, programId: program.id, providerId: program.providerId, municipalityId: program.municipalityId }, "program_withdrawn", origin, now);
              }
            }
            if (program.status === "published") {
              await emit(tx, ProgramWithdrawn, { ...origin, municipalityId: program.municipalityId, aggregateId: program.id }, { programId: program.id, providerId: program.providerId }, now);
            }
          }
          return changed;
        });
      },
    );

  action("publication", "Publish a draft (its provider; approved, and a financed program with a certification in force)", { kind: "publish" });
  action("withdrawal", "Withdraw a program (its provider); its groups close", { kind: "withdraw" });
};
