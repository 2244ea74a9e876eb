import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { correlationIdOf, requireActor } from "@kruzhok/http";
import { approve, pay, registerFor, registersFor, requestAdvance } from "../usecases/registers";
import { reconcileAdvance, reconciliationsFor } from "../usecases/reconciliations";
import type { PaymentsDeps } from "../deps";
import { registerCsv, registerJson, registerXlsx } from "./exports";
import { AdvanceBody, ExportQuery, IdParams, Payment, Reconciliation, ReconciliationsQuery, Register, RegistersQuery, RegisterWithLines } from "./schemas";

export const registerRoutes: FastifyPluginAsync<PaymentsDeps> = async (plain, deps) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ["registers"];

  app.get(
    "/registers",
    { schema: { tags, operationId: "listRegisters", summary: "Payment registers: a provider sees its own, the municipality every one of it", querystring: RegistersQuery, response: { 200: Register.array() } } },
    async (request) => registersFor(deps.pool, requireActor(request), request.query),
  );

  app.get(
    "/registers/:id",
    { schema: { tags, operationId: "getRegister", summary: "A register with its lines (one per enrollment)", params: IdParams, response: { 200: RegisterWithLines } } },
    async (request) => registerFor(deps.pool, requireActor(request), request.params.id),
  );

  app.get(
    "/registers/:id/export",
    { schema: { tags, operationId: "exportRegister", summary: "A register as CSV, XLSX or JSON", params: IdParams, querystring: ExportQuery } },
    async (request, reply) => {
      const { lineItems, ...register } = await registerFor(deps.pool, requireActor(request), request.params.id);
      const name = `register-${register.month}-${register.number}-${register.providerId}`;
      switch (request.query.format) {
        case "csv":
          return reply.type("text/csv; charset=utf-8").header("content-disposition", `attachment; filename="${name}.csv"`).send(registerCsv(register, lineItems));
        case "xlsx":
          return reply
            .type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            .header("content-disposition", `attachment; filename="${name}.xlsx"`)
            .send(await registerXlsx(register, lineItems));
        case "json":
          return reply.type("application/json").send(registerJson(register, lineItems));
        default: {
          const never: never = request.query.format;
          throw new Error(`unknown format ${String(never)}`);
        }
      }
    },
  );

  app.post(
    "/advances",
    { schema: { tags, operationId: "requestAdvance", summary: "Ask for an advance on the current month (a provider, from its 2nd working day); its register reconciles it", body: AdvanceBody, response: { 201: Register } } },
    async (request, reply) => reply.code(201).send(await requestAdvance(deps, requireActor(request), request.body, { correlationId: correlationIdOf(request) })),
  );

  app.post(
    "/registers/:id/approval",
    { schema: { tags, operationId: "approveRegister", summary: "Approve a formed register (the municipality)", params: IdParams, response: { 200: Register } } },
    async (request) => approve(deps, requireActor(request), request.params.id, { correlationId: correlationIdOf(request) }),
  );

  app.post(
    "/registers/:id/payment",
    { schema: { tags, operationId: "recordRegisterPayment", summary: "Record an approved register paid, with the payment order's reference (the municipality)", params: IdParams, body: Payment, response: { 200: Register } } },
    async (request) => pay(deps, requireActor(request), { registerId: request.params.id, paymentOrder: request.body.paymentOrder }, { correlationId: correlationIdOf(request) }),
  );

  app.post(
    "/registers/:id/advance-reconciliation",
    { schema: { tags, operationId: "reconcileAdvance", summary: "Reconcile the advance of an approved register's month against the month's bill (the municipality); once per register", params: IdParams, response: { 200: Reconciliation } } },
    async (request) => reconcileAdvance(deps, requireActor(request), request.params.id, { correlationId: correlationIdOf(request) }),
  );

  app.get(
    "/advance-reconciliations",
    { schema: { tags, operationId: "listAdvanceReconciliations", summary: "The municipality's reconciled advances (its staff and its region)", querystring: ReconciliationsQuery, response: { 200: Reconciliation.array() } } },
    async (request) => reconciliationsFor(deps.pool, requireActor(request), request.query.municipalityId),
  );
};
