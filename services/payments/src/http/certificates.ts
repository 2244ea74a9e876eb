import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { correlationIdOf, requireActor } from "@kruzhok/http";
import { languageOf } from "../domain/movements";
import { applyForCompensation, certificateAccount } from "../usecases/certificates";
import type { PaymentsDeps } from "../deps";
import { CertificateAccount, CertificateQuery, CompensationAnswer, CompensationBody, IdParams } from "./schemas";

export const certificateRoutes: FastifyPluginAsync<PaymentsDeps> = async (plain, deps) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  app.get(
    "/certificates/:id/account",
    { schema: { tags: ["certificates"], operationId: "getCertificateAccount", summary: "A certificate's balance, reservations and movements of a year (its guardian, the municipality)", params: IdParams, querystring: CertificateQuery, response: { 200: CertificateAccount } } },
    async (request) => certificateAccount(deps.pool, requireActor(request), request.params.id, request.query.year, languageOf(request.headers["accept-language"])),
  );

  app.put(
    "/certificates/:id/compensation",
    { schema: { tags: ["certificates"], operationId: "applyForCompensation", summary: "Apply for the low-income compensation of the family's fees (the child's guardian)", params: IdParams, body: CompensationBody, response: { 200: CompensationAnswer } } },
    async (request) => applyForCompensation(deps, requireActor(request), { certificateId: request.params.id, childOrder: request.body.childOrder }, { correlationId: correlationIdOf(request) }),
  );
};
