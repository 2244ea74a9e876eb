import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { correlationIdOf, requireActor } from "@kruzhok/http";
import { closeMonth, reopenMonth } from "../usecases/months";
import { setRules } from "../usecases/rules";
import { resolveSignal } from "../usecases/signals";
import { disputesOf, monthSummaries, providerSignals, rulesHistory, rulesView, signalsOf } from "../usecases/views";
import type { AttendanceDeps } from "../deps";
import { CloseResult, Dispute, DisputesQuery, IdParams, MonthParams, ProviderSignal, ReopenBody, Rules, RulesBody, RulesHistory, RulesOnQuery, RulesVersion, Signal, SignalParams, SignalResolution, SignalsQuery, Summaries, YearParams } from "./schemas";
import { iso } from "./views";

export const municipalityRoutes: FastifyPluginAsync<AttendanceDeps> = async (plain, deps) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();

  app.get(
    "/municipalities/:id/years/:year/rules",
    {
      schema: {
        tags: ["rules"],
        operationId: "getAttendanceRules", summary: "The municipality's attendance rules of a year in force on a date (today unless asked; the seed defaults until a version takes effect)",
        params: YearParams,
        querystring: RulesOnQuery,
        response: { 200: Rules },
      },
    },
    async (request) => rulesView(deps.pool, requireActor(request), request.params.id, request.params.year, deps.clock(), request.query.on),
  );

  app.get(
    "/municipalities/:id/years/:year/rules/versions",
    { schema: { tags: ["rules"], operationId: "listAttendanceRulesVersions", summary: "The rules in force today and every version of the year's rules as set (who, when, from when) (the municipality's staff and region)", params: YearParams, response: { 200: RulesHistory } } },
    async (request) => rulesHistory(deps.pool, requireActor(request), request.params.id, request.params.year, deps.clock()),
  );

  app.put(
    "/municipalities/:id/years/:year/rules",
    {
      schema: {
        tags: ["rules"],
        operationId: "setAttendanceRules", summary: "Set the attendance rules of a year from a date (the municipality): a new version; the earlier ones stay and govern the days before it",
        params: YearParams,
        body: RulesBody,
        response: { 200: RulesVersion },
      },
    },
    async (request) => {
      const { effectiveFrom, ...rules } = request.body;
      return setRules(deps, requireActor(request), { municipalityId: request.params.id, year: request.params.year, rules, effectiveFrom }, { correlationId: correlationIdOf(request) });
    },
  );

  app.get(
    "/municipalities/:id/signals",
    { schema: { tags: ["signals"], operationId: "listMunicipalitySignals", summary: "Fraud signals of the municipality with their evidence, newest first (its staff and region)", params: IdParams, querystring: SignalsQuery, response: { 200: Signal.array() } } },
    async (request) =>
      (await signalsOf(deps.pool, requireActor(request), request.params.id, { kind: request.query.kind, open: request.query.state === undefined ? undefined : request.query.state === "open" }, request.query.limit)).map(iso),
  );

  app.get(
    "/municipalities/:id/disputes",
    {
      schema: {
        tags: ["confirmation"],
        operationId: "listDisputes", summary: "Marks families dispute in the municipality, oldest lesson first (its operators and officials, and its region's): each is resolved through POST /children/:id/mark-reviews",
        params: IdParams,
        querystring: DisputesQuery,
        response: { 200: Dispute.array() },
      },
    },
    async (request) => disputesOf(deps.pool, requireActor(request), request.params.id, request.query.month, request.query.limit),
  );

  app.get(
    "/providers/:id/signals",
    {
      schema: {
        tags: ["signals"],
        operationId: "listProviderSignals", summary: "Fraud signals about the provider's own groups, newest first (the provider itself): its own lessons, without other providers' or the municipality's notes",
        params: IdParams,
        querystring: SignalsQuery,
        response: { 200: ProviderSignal.array() },
      },
    },
    async (request) =>
      (await providerSignals(deps.pool, requireActor(request), request.params.id, { kind: request.query.kind, open: request.query.state === undefined ? undefined : request.query.state === "open" }, request.query.limit)).map(iso),
  );

  app.post(
    "/municipalities/:id/signals/:signalId/resolution",
    {
      schema: {
        tags: ["signals"],
        operationId: "resolveSignal", summary: "Resolve a fraud signal (the municipality): confirmed or dismissed, with the reason; the same outcome again changes nothing",
        params: SignalParams,
        body: SignalResolution,
        response: { 200: Signal },
      },
    },
    async (request) =>
      iso(
        await resolveSignal(
          deps,
          requireActor(request),
          { municipalityId: request.params.id, signalId: request.params.signalId, outcome: request.body.outcome, reason: request.body.reason },
          { correlationId: correlationIdOf(request) },
        ),
      ),
  );

  app.post(
    "/municipalities/:id/months/:month/close",
    { schema: { tags: ["months"], operationId: "closeMonth", summary: "Close a month now (an operator or the municipality), once it has ended; closing twice changes nothing", params: MonthParams, response: { 200: CloseResult } } },
    async (request) =>
      closeMonth(deps, requireActor(request), { municipalityId: request.params.id, month: request.params.month }, { correlationId: correlationIdOf(request) }),
  );

  app.post(
    "/municipalities/:id/months/:month/reopen",
    {
      schema: {
        tags: ["months"],
        operationId: "reopenMonth", summary: "Reopen a closed month for corrections (the municipality), with the reason",
        params: MonthParams,
        body: ReopenBody,
        response: { 200: CloseResult.pick({ month: true, version: true }) },
      },
    },
    async (request) =>
      reopenMonth(deps, requireActor(request), { municipalityId: request.params.id, month: request.params.month, reason: request.body?.reason }, { correlationId: correlationIdOf(request) }),
  );

  app.get(
    "/municipalities/:id/months/:month/summaries",
    { schema: { tags: ["months"], operationId: "getMonthSummaries", summary: "A month's summaries, latest version (the municipality's staff and region)", params: MonthParams, response: { 200: Summaries } } },
    async (request) => monthSummaries(deps.pool, requireActor(request), request.params.id, request.params.month),
  );
};
