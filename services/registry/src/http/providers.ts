import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { LocalDate, ProviderKind } from "@kruzhok/contracts";
import { correlationIdOf, requireActor } from "@kruzhok/http";
import { registryError } from "../domain/errors";
import type { ProviderCommand } from "../domain/provider";
import { findProvider, listProviders } from "../store/providers";
import { assertReaches } from "../usecases/access";
import { applyAsProvider, changeProvider } from "../usecases/providers";
import type { RegistryDeps } from "../deps";
import { IdParams } from "./schemas";

const Check = z.enum(["pending", "passed", "failed"]);
const Checks = z.strictObject({ staff: Check, premises: Check, safety: Check });

const Provider = z.object({
  id: z.uuid(),
  municipalityId: z.uuid(),
  kind: ProviderKind,
  name: z.string(),
  taxId: z.string(),
  licence: z.object({ number: z.string(), issuedOn: LocalDate }),
  status: z.enum(["applied", "approved", "rejected", "suspended"]),
  checks: Checks,
  rejectionReasons: z.array(z.string()).nullable(),
  suspendedReason: z.string().nullable(),
});

const Apply = z.strictObject({
  municipalityId: z.uuid(),
  kind: ProviderKind.describe("municipal, state, private organisation or individual entrepreneur"),
  name: z.string().trim().min(2).max(300),
  taxId: z.string().regex(/^\d{10}(\d{2})?$/, "must be the INN (10 or 12 digits) or BIN (12 digits)"),
  licence: z.strictObject({ number: z.string().trim().min(1).max(50), issuedOn: LocalDate }),
});

export const providersRoutes: FastifyPluginAsync<RegistryDeps> = async (plain, deps) => {
  const { pool } = deps;
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ["providers"];

  app.post(
    "/providers",
    { schema: { tags, summary: "Apply as a provider (provider, or the office on its behalf)", body: Apply, response: { 201: Provider } } },
    async (request, reply) => {
      const provider = await applyAsProvider(deps, requireActor(request), request.body, { correlationId: correlationIdOf(request) });
      return reply.code(201).header("location", `/providers/${provider.id}`).send(provider);
    },
  );

  app.get(
    "/providers/:id",
    { schema: { tags, summary: "A provider (public: families see who teaches)", params: IdParams, response: { 200: Provider } }, config: { public: true } },
    async (request) => {
      const found = await findProvider(pool, request.params.id);
      if (!found) throw registryError("PROVIDER_NOT_FOUND", `no provider ${request.params.id}`);
      return found;
    },
  );

  app.get(
    "/municipalities/:id/providers",
    {
      schema: {
        tags,
        summary: "Providers of a municipality; only approved ones without a token",
        params: IdParams,
        querystring: z.strictObject({ status: z.enum(["applied", "approved", "rejected", "suspended"]).optional() }),
        response: { 200: Provider.array() },
      },
      config: { public: true },
    },
    async (request) => {
      const actor = request.actor;
      const staff = actor && ["operator", "municipality", "region"].includes(actor.role);
      if (staff) await assertReaches(pool, actor, request.params.id);
      return listProviders(pool, request.params.id, staff ? request.query.status : "approved");
    },
  );

  const regionAction = <B extends z.ZodType>(path: string, summary: string, body: B, command: (body: z.infer<B>) => ProviderCommand) =>
    app.route({
      method: path === "checks" ? "PUT" : "POST",
      url: `/providers/:id/${path}`,
      schema: { tags, summary, params: IdParams, body, response: { 200: Provider } },
      // The provider's recorded checks, not a field of an approval.
      config: { fieldsIn: { checks: "as-is" } },
      handler: async (request) =>
        changeProvider(deps, requireActor(request), { providerId: request.params.id, change: command(request.body as z.infer<B>) }, { correlationId: correlationIdOf(request) }),
    });

  regionAction("checks", "Record the checks: staff background, premises, safety (region)", Checks, (checks) => ({ kind: "record_checks", checks }));
  regionAction("approval", "Approve (region; every check passed)", z.strictObject({}), () => ({ kind: "approve" }));
  regionAction(
    "rejection",
    "Reject with reasons (region)",
    z.strictObject({ reasons: z.array(z.string().trim().min(3).max(500)).min(1, "give at least one reason the provider can act on") }),
    (body) => ({ kind: "reject", reasons: body.reasons }),
  );
  regionAction("suspension", "Suspend an approved provider (region)", z.strictObject({ reason: z.string().trim().min(3).max(500) }), (body) => ({
    kind: "suspend",
    reason: body.reason,
  }));
  regionAction("reinstatement", "Reinstate a suspended provider (region)", z.strictObject({}), () => ({ kind: "reinstate" }));
};
