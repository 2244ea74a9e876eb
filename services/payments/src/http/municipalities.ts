import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { correlationIdOf, requireActor } from "@kruzhok/http";
import { setBillingRules } from "../usecases/rules";
import type { PaymentsDeps } from "../deps";
import { BillingRules, YearParams } from "./schemas";

export const municipalityRoutes: FastifyPluginAsync<PaymentsDeps> = async (plain, deps) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  app.put(
    "/municipalities/:id/years/:year/billing-rules",
    { schema: { tags: ["billing"], summary: "Set how a year's lessons are billed (the municipality)", params: YearParams, body: BillingRules, response: { 200: BillingRules } } },
    async (request) =>
      setBillingRules(deps, requireActor(request), { municipalityId: request.params.id, year: request.params.year, rules: request.body }, { correlationId: correlationIdOf(request) }),
  );
};
