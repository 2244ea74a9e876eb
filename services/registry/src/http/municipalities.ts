import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { correlationIdOf, requireActor } from "@kruzhok/http";
import { registryError } from "../domain/errors";
import { formatLocalDate, localDateOf } from "@kruzhok/time";
import { findMunicipality, listMunicipalities, type MunicipalityRow } from "../store/municipalities";
import { createMunicipality, readingDay, setYearSettings, yearSettingsOn, yearSettingsVersions } from "../usecases/municipalities";
import type { RegistryDeps } from "../deps";
import { CreateMunicipality, IdParams, Municipality, YearParams, YearSettingsBody, YearSettingsOnQuery, YearSettingsVersions, YearSettingsView } from "./schemas";

export const municipalityRoutes: FastifyPluginAsync<RegistryDeps> = async (plain, deps) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const { pool } = deps;

  app.post(
    "/municipalities",
    {
      schema: { tags: ["municipalities"], operationId: "createMunicipality", summary: "Create a municipality (region)", body: CreateMunicipality, response: { 201: Municipality } },
      // REVIEW: clients have always seen this field bare; `body.code`, as every other field is named, changes their answer (and the test).
      config: { fieldsIn: { code: "as-is" } },
    },
    async (request, reply) => {
      const municipality = await createMunicipality(deps, requireActor(request), request.body, { correlationId: correlationIdOf(request) });
      return reply.code(201).header("location", `/municipalities/${municipality.id}`).send(municipality);
    },
  );

  app.get(
    "/municipalities",
    { schema: { tags: ["municipalities"], operationId: "listMunicipalities", summary: "List municipalities", response: { 200: Municipality.array() } }, config: { public: true } },
    async () => listMunicipalities(pool),
  );

  app.get(
    "/municipalities/:id",
    { schema: { tags: ["municipalities"], operationId: "getMunicipality", summary: "A municipality: its code, name, region, time zone and currency (no login)", params: IdParams, response: { 200: Municipality } }, config: { public: true } },
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
        operationId: "setYearSettings", summary: "Set or amend a year's settings from a date (before the year ends, in the municipality's zone): a new version; the earlier ones stay and govern the days before it",
        params: YearParams,
        body: YearSettingsBody,
        response: { 200: YearSettingsView },
      },
      // REVIEW: clients have always seen these fields bare (`year` is the path's); naming them
      // `params.year` and `body.nominal`, as every other field is named, changes their answer (and the test).
      config: { fieldsIn: { year: "as-is", nominal: "as-is", financedCap: "as-is", categories: "as-is" } },
    },
    async (request) => {
      const { effectiveFrom, ...settings } = request.body;
      return setYearSettings(
        deps,
        requireActor(request),
        { municipalityId: request.params.id, settings: { year: request.params.year, ...settings }, effectiveFrom },
        { correlationId: correlationIdOf(request) },
      );
    },
  );

  app.get(
    "/municipalities/:id/years/:year",
    {
      schema: { tags: ["municipalities"], operationId: "getYearSettings", summary: "A year's settings in force today (local) or on `on`", params: YearParams, querystring: YearSettingsOnQuery, response: { 200: YearSettingsView } },
      config: { public: true },
    },
    async (request) => {
      const { id, year } = request.params;
      const municipality = await findMunicipality(pool, id);
      const found = municipality && (await yearSettingsOn(pool, municipality, year, request.query.on ?? readingDay(year, todayOf(municipality, deps.clock()))));
      if (!municipality || !found) throw registryError("MUNICIPALITY_NOT_FOUND", `no settings for ${year} in municipality ${id}`);
      return found;
    },
  );

  app.get(
    "/municipalities/:id/years/:year/versions",
    {
      schema: { tags: ["municipalities"], operationId: "listYearSettingsVersions", summary: "A year's settings in force today and every version as saved (who, when, from when): the municipality and its region", params: YearParams, response: { 200: YearSettingsVersions } },
    },
    async (request) => yearSettingsVersions(pool, requireActor(request), request.params.id, request.params.year, deps.clock()),
  );
};

const todayOf = (municipality: MunicipalityRow, now: Date) => formatLocalDate(localDateOf(now, municipality.timeZone));
