import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { correlationIdOf, requireActor } from "@kruzhok/http";
import { certificateCoverage } from "../domain/coverage";
import { requireVisible } from "../domain/listing";
import { findProgram } from "../store/programs";
import { currentNominal } from "../store/projections";
import { createProgram, editProgram, providerPrograms, publishProgram, withdrawProgram } from "../usecases/programs";
import type { CatalogueDeps } from "../deps";
import { IdParams, Program, ProgramBody, ProgramPage, ProviderProgramsQuery, ProviderPrograms } from "./schemas";

export const programRoutes: FastifyPluginAsync<CatalogueDeps> = async (plain, deps) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ["programs"];

  app.post(
    "/programs",
    { schema: { tags, operationId: "createProgram", summary: "Create a draft program (provider)", body: ProgramBody, response: { 201: Program } } },
    async (request, reply) => {
      const program = await createProgram(deps, requireActor(request), request.body, { correlationId: correlationIdOf(request) });
      return reply.code(201).header("location", `/programs/${program.id}`).send(program);
    },
  );

  app.get(
    "/programs/:id",
    {
      schema: {
        tags,
        operationId: "getProgram", summary: "A program, with an estimate of what a certificate covers of it: families see listed ones, its provider every status",
        params: IdParams,
        response: { 200: ProgramPage },
      },
      config: { public: true },
    },
    async (request) => {
      const program = requireVisible(request.actor, await findProgram(deps.pool, request.params.id), request.params.id);
      const nominal = await currentNominal(deps.pool, program.municipalityId, deps.clock());
      return { ...program, certificateCoverage: certificateCoverage(program.fundingKind, program.price.amount, program.totalHours, nominal, program.price.currency) };
    },
  );

  app.get(
    "/providers/:id/programs",
    {
      schema: {
        tags,
        operationId: "listProviderPrograms", summary: "A provider's programs in every status, drafts included (the provider itself, its municipality's office and region), oldest first",
        params: IdParams,
        querystring: ProviderProgramsQuery,
        response: { 200: ProviderPrograms },
      },
    },
    async (request) => {
      const { status, cursor, limit } = request.query;
      return providerPrograms(deps.pool, requireActor(request), { providerId: request.params.id, status, after: cursor, limit });
    },
  );

  app.put(
    "/programs/:id",
    { schema: { tags, operationId: "editProgram", summary: "Edit a program (its provider); a published one is announced as updated", params: IdParams, body: ProgramBody, response: { 200: Program } } },
    async (request) =>
      editProgram(deps, requireActor(request), { programId: request.params.id, content: request.body }, { correlationId: correlationIdOf(request) }),
  );

  const action = (path: string, doc: { operationId: string; summary: string }, useCase: typeof publishProgram) =>
    app.post(
      `/programs/:id/${path}`,
      // The program's stored certification, not a field of this (bodiless) request.
      { schema: { tags, ...doc, params: IdParams, response: { 200: Program } }, config: { fieldsIn: { certification: "as-is" } } },
      async (request) => useCase(deps, requireActor(request), request.params.id, { correlationId: correlationIdOf(request) }),
    );

  action("publication", { operationId: "publishProgram", summary: "Publish a draft (its provider; approved, and a financed program with a certification in force)" }, publishProgram);
  action("withdrawal", { operationId: "withdrawProgram", summary: "Withdraw a program (its provider); its groups close" }, withdrawProgram);
};
