import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { requireMunicipality, requireRole } from "@kruzhok/actor";
import { LocalDate, ProviderApplied, ProviderApproved, ProviderKind, ProviderRejected, ProviderSuspended } from "@kruzhok/contracts";
import { correlationIdOf, requireActor } from "@kruzhok/http";
import { emit } from "@kruzhok/messaging";
import { withTransaction, type PoolClient } from "@kruzhok/postgres";
import { v7 as uuidv7 } from "uuid";
import { registryError } from "../domain/errors";
import { decideProvider, isPlausibleTaxId, type ProviderCommand } from "../domain/provider";
import { findMunicipality } from "../store/municipalities";
import { findProvider, insertProvider, listProviders, pendingChecks, updateProvider, type ProviderRow } from "../store/providers";
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

export const providersRoutes: FastifyPluginAsync<RegistryDeps> = async (plain, { pool, clock }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ["providers"];

  app.post(
    "/providers",
    { schema: { tags, summary: "Apply as a provider (provider, or the office on its behalf)", body: Apply, response: { 201: Provider } } },
    async (request, reply) => {
      const actor = requireRole(requireActor(request), "provider", "operator", "municipality", "region");
      const body = request.body;
      requireMunicipality(actor, body.municipalityId);
      if (!isPlausibleTaxId(body.kind, body.taxId)) {
        throw registryError("TAX_ID_INVALID", "an individual entrepreneur's INN has 12 digits", { field: "taxId" });
      }
      // A provider's account carries its id from the identity provider; the office gets a new one.
      const id = actor.role === "provider" && actor.providerId ? actor.providerId : uuidv7();
      const provider: ProviderRow = { id, ...body, status: "applied", checks: pendingChecks, rejectionReasons: null, suspendedReason: null };
      const now = clock();
      await withTransaction(pool, async (tx) => {
        if (!(await findMunicipality(tx, body.municipalityId))) {
          throw registryError("MUNICIPALITY_NOT_FOUND", `no municipality ${body.municipalityId}`, { field: "municipalityId" });
        }
        if (!(await insertProvider(tx, provider, actor.subject, now))) {
          throw registryError("PROVIDER_ALREADY_APPLIED", "a provider with this tax id or account has already applied", { field: "taxId" });
        }
        await emit(tx, ProviderApplied, origin(provider, request.id), { providerId: id, kind: body.kind, name: body.name }, now);
      });
      return reply.code(201).header("location", `/providers/${id}`).send(provider);
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
      if (staff) requireMunicipality(actor, request.params.id);
      return listProviders(pool, request.params.id, staff ? request.query.status : "approved");
    },
  );

  /** One transition by the regional authority: lock, decide, store, announce. */
  async function transition(tx: PoolClient, id: string, command: ProviderCommand, correlationId: string): Promise<ProviderRow> {
    const provider = await findProvider(tx, id, true);
    if (!provider) throw registryError("PROVIDER_NOT_FOUND", `no provider ${id}`);
    const status = decideProvider(provider.status, provider.checks, command);
    const next: ProviderRow = {
      ...provider,
      status,
      checks: command.kind === "record_checks" ? command.checks : provider.checks,
      rejectionReasons: command.kind === "reject" ? command.reasons : provider.rejectionReasons,
      suspendedReason: command.kind === "suspend" ? command.reason : command.kind === "reinstate" ? null : provider.suspendedReason,
    };
    const now = clock();
    await updateProvider(tx, id, next, now);
    const ref = { providerId: id, kind: provider.kind, name: provider.name };
    const at = origin(provider, correlationId);
    if (command.kind === "approve" || command.kind === "reinstate") await emit(tx, ProviderApproved, at, ref, now);
    if (command.kind === "reject") await emit(tx, ProviderRejected, at, { ...ref, reasons: command.reasons }, now);
    if (command.kind === "suspend") await emit(tx, ProviderSuspended, at, { ...ref, reason: command.reason }, now);
    return next;
  }

  const regionAction = <B extends z.ZodType>(path: string, summary: string, body: B, command: (body: z.infer<B>) => ProviderCommand) =>
    app.route({
      method: path === "checks" ? "PUT" : "POST",
      url: `/providers/:id/${path}`,
      schema: { tags, summary, params: IdParams, body, response: { 200: Provider } },
      // The provider's recorded checks, not a field of an approval.
      config: { fieldsIn: { checks: "as-is" } },
      handler: async (request) => {
        requireRole(requireActor(request), "region");
        return withTransaction(pool, (tx) => transition(tx, request.params.id, command(request.body as z.infer<B>), request.id));
      },
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

function origin(provider: Pick<ProviderRow, "id" | "municipalityId">, requestId: string) {
  return { municipalityId: provider.municipalityId, aggregateId: provider.id, correlationId: correlationIdOf({ id: requestId }) };
}
