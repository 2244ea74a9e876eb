import { v7 as uuidv7 } from "uuid";
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { requireMunicipality, requireRole } from "@kruzhok/actor";
import { MunicipalityCreated, MunicipalityYearSet } from "@kruzhok/contracts";
import { correlationIdOf, requireActor } from "@kruzhok/http";
import { emit } from "@kruzhok/messaging";
import { withTransaction } from "@kruzhok/postgres";
import { registryError } from "../domain/errors";
import { decideYearSettings } from "../domain/year-settings";
import { findMunicipality, findYear, insertMunicipality, listMunicipalities, upsertYear } from "../store/municipalities";
import type { RegistryDeps } from "../deps";
import { CreateMunicipality, IdParams, Municipality, YearParams, YearSettingsBody, YearSettingsView } from "./schemas";

export const municipalityRoutes: FastifyPluginAsync<RegistryDeps> = async (plain, deps) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const { pool, clock } = deps;

  app.post(
    "/municipalities",
    {
      schema: { tags: ["municipalities"], summary: "Create a municipality (region)", body: CreateMunicipality, response: { 201: Municipality } },
      // REVIEW: clients have always seen this field bare; `body.code`, as every other field is named, changes their answer (and the test).
      config: { fieldsIn: { code: "as-is" } },
    },
    async (request, reply) => {
      requireRole(requireActor(request), "region");
      const municipality = { id: uuidv7(), ...request.body };
      await withTransaction(pool, async (tx) => {
        if (!(await insertMunicipality(tx, municipality))) {
          throw registryError("MUNICIPALITY_CODE_TAKEN", `code ${municipality.code} is already used by another municipality`, { field: "code" });
        }
        await emit(tx, MunicipalityCreated, { municipalityId: municipality.id, aggregateId: municipality.id, correlationId: correlationIdOf(request) }, { municipalityId: municipality.id, ...request.body }, clock());
      });
      return reply.code(201).header("location", `/municipalities/${municipality.id}`).send(municipality);
    },
  );

  app.get(
    "/municipalities",
    { schema: { tags: ["municipalities"], summary: "List municipalities", response: { 200: Municipality.array() } }, config: { public: true } },
    async () => listMunicipalities(pool),
  );

  app.get(
    "/municipalities/:id",
    { schema: { tags: ["municipalities"], params: IdParams, response: { 200: Municipality } }, config: { public: true } },
    async (request) => {
      const found = await findMunicipality(pool, request.params.id);
      if (!found) throw registryError("MUNICIPALITY_NOT_FOUND", `no municipality ${request.params.id}`);
      return found;
    },
  );

  app.put(
    "/municipalities/:id/years/:year",
    {
      schema: {
        tags: ["municipalities"],
        summary: "Set or amend a year's settings (before the year ends, in the municipality's zone)",
        params: YearParams,
        body: YearSettingsBody,
        response: { 200: YearSettingsView },
      },
      // REVIEW: clients have always seen these fields bare (`year` is the path's); naming them
      // `params.year` and `body.nominal`, as every other field is named, changes their answer (and the test).
      config: { fieldsIn: { year: "as-is", nominal: "as-is", financedCap: "as-is", categories: "as-is" } },
    },
    async (request) => {
      const actor = requireRole(requireActor(request), "municipality", "region");
      const { id, year } = request.params;
      requireMunicipality(actor, id);
      const now = clock();
      return withTransaction(pool, async (tx) => {
        const municipality = await findMunicipality(tx, id);
        if (!municipality) throw registryError("MUNICIPALITY_NOT_FOUND", `no municipality ${id}`);
        const existing = await findYear(tx, id, year, true);
        const settings = { year, ...request.body };
        decideYearSettings(settings, { existing, financedCount: existing?.financedCount ?? 0 }, now, municipality.timeZone);
        await upsertYear(tx, id, settings);
        await emit(tx, MunicipalityYearSet, { municipalityId: id, aggregateId: `${id}:${year}`, correlationId: correlationIdOf(request) }, { ...settings, currency: municipality.currency }, now);
        return { municipalityId: id, currency: municipality.currency, financedCount: existing?.financedCount ?? 0, ...settings };
      });
    },
  );

  app.get(
    "/municipalities/:id/years/:year",
    { schema: { tags: ["municipalities"], params: YearParams, response: { 200: YearSettingsView } }, config: { public: true } },
    async (request) => {
      const { id, year } = request.params;
      const municipality = await findMunicipality(pool, id);
      const found = municipality && (await findYear(pool, id, year));
      if (!municipality || !found) throw registryError("MUNICIPALITY_NOT_FOUND", `no settings for ${year} in municipality ${id}`);
      const { financedCount, ...settings } = found;
      return { municipalityId: id, currency: municipality.currency, financedCount, ...settings };
    },
  );
};
