import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { correlationIdOf, requireActor } from "@kruzhok/http";
import { closeMonth, reopenMonth } from "../usecases/months";
import { setRules } from "../usecases/rules";
import { resolveSignal } from "../usecases/signals";
import { monthSummaries, providerSignals, rulesView, signalsOf } from "../usecases/views";
import type { AttendanceDeps } from "../deps";
import { CloseResult, IdParams, MonthParams, ProviderSignal, Rules, Signal, SignalParams, SignalResolution, SignalsQuery, Summaries, YearParams } from "./schemas";
import { iso } from "./views";

export const municipalityRoutes: FastifyPluginAsync<AttendanceDeps> = async (plain, deps) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();

  app.get(
    "/municipalities/:id/years/:year/rules",
    { schema: { tags: ["rules"], summary: "The municipality's attendance rules of a year (the seed defaults until it sets its own)", params: YearParams, response: { 200: Rules } } },
    async (request) => rulesView(deps.pool, requireActor(request), request.params.id, request.params.year),
  );

  app.put(
    "/municipalities/:id/years/:year/rules",
    { schema: { tags: ["rules"], summary: "Set the attendance rules of a year (the municipality)", params: YearParams, body: Rules, response: { 200: Rules } } },
    async (request) =>
      setRules(deps, requireActor(request), { municipalityId: request.params.id, year: request.params.year, rules: request.body }, { correlationId: correlationIdOf(request) }),
  );

  app.get(
    "/municipalities/:id/signals",
    { schema: { tags: ["signals"], summary: "Fraud signals of the municipality with their evidence, newest first", params: IdParams, querystring: SignalsQuery, response: { 200: Signal.array() } } },
    async (request) =>
      (await signalsOf(deps.pool, requireActor(request), request.params.id, { kind: request.query.kind, open: request.query.state === undefined ? undefined : request.query.state === "open" }, request.query.limit)).map(iso),
  );

  app.get(
    "/providers/:id/signals",
    {
      schema: {
        tags: ["signals"],
        summary: "Fraud signals about the provider's own groups, newest first (the provider itself): its own lessons, without other providers' or the municipality's notes",
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
        summary: "Resolve a fraud signal (the municipality): confirmed or dismissed, with the reason; the same outcome again changes nothing",
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
    { schema: { tags: ["months"], summary: "Close a month now (an operator or the municipality), once it has ended; closing twice changes nothing", params: MonthParams, response: { 200: CloseResult } } },
    async (request) =>
      closeMonth(deps, requireActor(request), { municipalityId: request.params.id, month: request.params.month }, { correlationId: correlationIdOf(request) }),
  );

  app.post(
    "/municipalities/:id/months/:month/reopen",
    { schema: { tags: ["months"], summary: "Reopen a closed month for corrections (the municipality)", params: MonthParams, response: { 200: CloseResult.pick({ month: true, version: true }) } } },
    async (request) =>
      reopenMonth(deps, requireActor(request), { municipalityId: request.params.id, month: request.params.month }, { correlationId: correlationIdOf(request) }),
  );

  app.get(
    "/municipalities/:id/months/:month/summaries",
    { schema: { tags: ["months"], summary: "A month's summaries, latest version", params: MonthParams, response: { 200: Summaries } } },
    async (request) => monthSummaries(deps.pool, requireActor(request), request.params.id, request.params.month),
  );
};
