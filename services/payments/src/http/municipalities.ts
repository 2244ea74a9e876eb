import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { correlationIdOf, requireActor } from "@kruzhok/http";
import { budgetOf } from "../usecases/budget";
import { z } from "zod";
import { billingRulesOf, setBillingRules } from "../usecases/rules";
import type { PaymentsDeps } from "../deps";
import { BillingRules, Budget, BudgetQuery, IdParams, YearParams } from "./schemas";

export const municipalityRoutes: FastifyPluginAsync<PaymentsDeps> = async (plain, deps) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  app.get(
    "/municipalities/:id/years/:year/billing-rules",
    {
      schema: {
        tags: ["billing"],
        summary: "How a year's lessons are billed (the municipality's staff and its region); rules null while the municipality has set none",
        params: YearParams,
        response: { 200: z.object({ year: z.number().int(), rules: BillingRules.nullable() }) },
      },
    },
    async (request) => billingRulesOf(deps.pool, requireActor(request), request.params.id, request.params.year),
  );

  app.put(
    "/municipalities/:id/years/:year/billing-rules",
    { schema: { tags: ["billing"], summary: "Set how a year's lessons are billed (the municipality)", params: YearParams, body: BillingRules, response: { 200: BillingRules } } },
    async (request) =>
      setBillingRules(deps, requireActor(request), { municipalityId: request.params.id, year: request.params.year, rules: request.body }, { correlationId: correlationIdOf(request) }),
  );
  app.get(
    "/municipalities/:id/budget",
    { schema: { tags: ["budget"], summary: "The year's budget against committed, reserved and spent, and the financing waiting list by category (the municipality's staff, its region)", params: IdParams, querystring: BudgetQuery, response: { 200: Budget } }, config: { fieldsIn: { year: "query", id: "params" } } },
    async (request) => budgetOf(deps.pool, requireActor(request), request.params.id, request.query.year),
  );
};
