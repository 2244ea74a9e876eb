import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { correlationIdOf, requireActor } from "@kruzhok/http";
import { z } from "zod";
import { budgetOf } from "../usecases/budget";
import { checkBooks } from "../usecases/verify";
import { billingRulesHistory, billingRulesOf, setBillingRules } from "../usecases/rules";
import type { PaymentsDeps } from "../deps";
import { BillingRulesBody, BillingRulesHistory, BillingRulesInForce, BillingRulesOnQuery, BillingRulesSaved, Budget, BudgetQuery, IdParams, YearParams } from "./schemas";

export const municipalityRoutes: FastifyPluginAsync<PaymentsDeps> = async (plain, deps) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  app.get(
    "/municipalities/:id/years/:year/billing-rules",
    {
      schema: {
        tags: ["billing"],
        operationId: "getBillingRules", summary: "How a year's lessons are billed on a date, today unless asked (the municipality's staff and its region); rules null while no version is in force",
        params: YearParams,
        querystring: BillingRulesOnQuery,
        response: { 200: BillingRulesInForce },
      },
    },
    async (request) => billingRulesOf(deps.pool, requireActor(request), request.params.id, request.params.year, deps.clock(), request.query.on),
  );

  app.get(
    "/municipalities/:id/years/:year/billing-rules/versions",
    { schema: { tags: ["billing"], operationId: "listBillingRulesVersions", summary: "The billing rules in force today and every version of the year's as set (who, when, from when)", params: YearParams, response: { 200: BillingRulesHistory } } },
    async (request) => billingRulesHistory(deps.pool, requireActor(request), request.params.id, request.params.year, deps.clock()),
  );

  app.put(
    "/municipalities/:id/years/:year/billing-rules",
    {
      schema: {
        tags: ["billing"],
        operationId: "setBillingRules", summary: "Set how a year's lessons are billed from a date (the municipality): a new version; the earlier ones stay and bill the months begun before it",
        params: YearParams,
        body: BillingRulesBody,
        response: { 200: BillingRulesSaved },
      },
    },
    async (request) => {
      const { effectiveFrom, ...rules } = request.body;
      return setBillingRules(deps, requireActor(request), { municipalityId: request.params.id, year: request.params.year, rules, effectiveFrom }, { correlationId: correlationIdOf(request) });
    },
  );
  app.get(
    "/municipalities/:id/budget",
    { schema: { tags: ["budget"], operationId: "getBudget", summary: "The year's budget against committed, reserved and spent, and the financing waiting list by category (the municipality's staff, its region)", params: IdParams, querystring: BudgetQuery, response: { 200: Budget } }, config: { fieldsIn: { year: "query", id: "params" } } },
    async (request) => budgetOf(deps.pool, requireActor(request), request.params.id, request.query.year),
  );

  app.get(
    "/municipalities/:id/years/:year/books-check",
    {
      schema: {
        tags: ["ledger"],
        operationId: "checkBooks", summary: "Check the year's books (the municipality's staff, its region): debits equal credits, no balance below zero, each month billed once at its latest version, registers and reservations in step with the ledger, the budget not exceeded; the first violation when they do not hold",
        params: YearParams,
        response: {
          200: z.strictObject({
            municipalityId: z.uuid(),
            year: z.number().int(),
            holds: z.boolean(),
            violation: z.string().nullable().describe("the first rule found broken, in words; null when the books hold"),
          }),
        },
      },
    },
    async (request) => checkBooks(deps.pool, requireActor(request), request.params.id, request.params.year),
  );
};
