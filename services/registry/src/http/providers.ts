import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { LocalDate, NameText, ProviderKind, ProviderRejectionCode, ProviderSuspensionCode } from "@kruzhok/contracts";
import { correlationIdOf, requireActor } from "@kruzhok/http";
import type { ProviderCommand } from "../domain/provider";
import { providerApplicants } from "../usecases/applicants";
import { viewProvider, viewProviders, type ProviderView } from "../usecases/provider-views";
import { applyAsProvider, changeProvider } from "../usecases/providers";
import type { RegistryDeps } from "../deps";
import { IdParams } from "./schemas";

const Check = z.enum(["pending", "passed", "failed"]);
const Checks = z.strictObject({ staff: Check, premises: Check, safety: Check });

/** The whole record: the provider itself, its region and the office of its municipality. */
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

/** What anyone sees of an approved provider: no tax id, no vetting, no reasons. */
const PublicProvider = z.strictObject({
  id: z.uuid(),
  municipalityId: z.uuid(),
  kind: ProviderKind,
  name: z.string(),
  licence: z.object({ number: z.string(), issuedOn: LocalDate }),
  status: z.literal("approved"),
});
/** A child as the provider of its group reads it: to review the application and reach the family. */
const Applicant = z.object({
  childId: z.uuid(),
  firstName: z.string(),
  lastName: z.string(),
  patronymic: z.string().nullable(),
  birthDate: LocalDate,
  age: z.number().describe("Full years today in the child's municipality"),
  guardians: z.array(z.object({ firstName: z.string(), lastName: z.string(), patronymic: z.string().nullable(), phone: z.string().nullable(), email: z.string().nullable() })),
  relations: z
    .array(z.object({ applicationId: z.uuid(), groupId: z.uuid(), state: z.enum(["applied", "enrolled"]), enrollmentId: z.uuid().nullable() }))
    .describe("The child's open applications to, and enrollments in, the provider's groups (enrollment's ids)"),
});
const ApplicantsQuery = z.strictObject({
  cursor: z.uuid().optional().describe("nextCursor of the page before"),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const ChildParams = z.strictObject({ id: z.uuid(), childId: z.uuid() });

const ProviderAnswer = z.union([Provider.extend({ view: z.literal("staff") }), PublicProvider.extend({ view: z.literal("public") })]);
const answer = (v: ProviderView): z.input<typeof ProviderAnswer> =>
  v.view === "staff" ? { ...v.provider, view: "staff" } : { ...v.provider, view: "public" };

const LICENCE_FLOOR = "1992-01-01";

const Apply = z.strictObject({
  municipalityId: z.uuid(),
  kind: ProviderKind.describe("municipal, state, private organisation or individual entrepreneur"),
  name: NameText(2, 300),
  taxId: z.string().regex(/^\d{10}(\d{2})?$/, "must be the INN (10 or 12 digits) or BIN (12 digits)"),
  licence: z.strictObject({
    number: z.string().trim().min(1).max(50),
    // Education licences are issued under the laws of 1992 (Russia) and after independence (Kazakhstan): an earlier date is a slip.
    issuedOn: LocalDate.refine((date) => date >= LICENCE_FLOOR, { message: `a licence is dated ${LICENCE_FLOOR} or later: check the year` }),
  }),
}).meta({ examples: [{ municipalityId: "0195f0a0-0000-7000-8000-000000000001", kind: "private", name: "АНО «Юный техник»", taxId: "4101123456", licence: { number: "Л035-01234-41/00567890", issuedOn: "2021-09-01" } }] });

export const providersRoutes: FastifyPluginAsync<RegistryDeps> = async (plain, deps) => {
  const { pool } = deps;
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ["providers"];

  app.post(
    "/providers",
    { schema: { tags, operationId: "applyAsProvider", summary: "Apply as a provider (provider, or the office on its behalf)", body: Apply, response: { 201: Provider } } },
    async (request, reply) => {
      const provider = await applyAsProvider(deps, requireActor(request), request.body, { correlationId: correlationIdOf(request) });
      return reply.code(201).header("location", `/providers/${provider.id}`).send(provider);
    },
  );

  app.get(
    "/providers/:id/children",
    {
      schema: {
        tags,
        operationId: "listProviderChildren", summary: "The children with an open application to, or an enrollment in, the provider's groups: names, age, guardians' contacts (the provider itself; every read is recorded)",
        params: IdParams,
        querystring: ApplicantsQuery,
        response: { 200: z.object({ items: z.array(Applicant), nextCursor: z.uuid().nullable() }) },
      },
    },
    async (request) =>
      providerApplicants(deps, requireActor(request), { providerId: request.params.id, after: request.query.cursor, limit: request.query.limit }, {
        correlationId: correlationIdOf(request),
      }),
  );

  app.get(
    "/providers/:id/children/:childId",
    {
      schema: {
        tags,
        operationId: "getProviderChild", summary: "One child who applied to, or is enrolled in, the provider's groups: name, age, guardians' contacts (the provider itself; the read is recorded)",
        params: ChildParams,
        response: { 200: Applicant },
      },
    },
    async (request) => {
      const page = await providerApplicants(deps, requireActor(request), { providerId: request.params.id, childId: request.params.childId, limit: 1 }, {
        correlationId: correlationIdOf(request),
      });
      return page.items[0]!;
    },
  );

  app.get(
    "/providers/:id",
    {
      schema: {
        tags,
        operationId: "getProvider", summary: "A provider: the public view of an approved one for everyone (`view: public`), the whole record (`view: staff`) for the provider itself, its region and its municipality's office; 404 for others when it is not approved",
        params: IdParams,
        response: { 200: ProviderAnswer },
      },
      config: { public: true },
    },
    async (request) => {
      return answer(await viewProvider(pool, request.actor ?? undefined, request.params.id));
    },
  );

  app.get(
    "/municipalities/:id/providers",
    {
      schema: {
        tags,
        operationId: "listMunicipalityProviders", summary: "Providers of a municipality: every status in the whole record for its office and region; approved ones in the public view for everyone else",
        params: IdParams,
        querystring: z.strictObject({ status: z.enum(["applied", "approved", "rejected", "suspended"]).optional() }),
        response: { 200: ProviderAnswer.array() },
      },
      config: { public: true },
    },
    async (request) =>
      (await viewProviders(pool, request.actor ?? undefined, request.params.id, request.query.status)).map(answer),
  );

  const regionAction = <B extends z.ZodType>(path: string, doc: { operationId: string; summary: string }, body: B, command: (body: z.infer<B>) => ProviderCommand) =>
    app.route({
      method: path === "checks" ? "PUT" : "POST",
      url: `/providers/:id/${path}`,
      schema: { tags, ...doc, params: IdParams, body, response: { 200: Provider } },
      // The provider's recorded checks, not a field of an approval.
      config: { fieldsIn: { checks: "as-is" } },
      handler: async (request) =>
        changeProvider(deps, requireActor(request), { providerId: request.params.id, change: command(request.body as z.infer<B>) }, { correlationId: correlationIdOf(request) }),
    });

  regionAction("checks", { operationId: "recordProviderChecks", summary: "Record a provider's checks: staff background, premises, safety (region, or the provider's municipality)" }, Checks, (checks) => ({ kind: "record_checks", checks }));
  regionAction("approval", { operationId: "approveProvider", summary: "Approve a provider that passed every check (region, or the provider's municipality)" }, z.strictObject({}), () => ({ kind: "approve" }));
  regionAction(
    "rejection",
    { operationId: "rejectProvider", summary: "Reject a provider's application with reasons (region, or the provider's municipality)" },
    z.strictObject({
      reasons: z.array(z.string().trim().min(3).max(500)).min(1, "give at least one reason the provider can act on").describe("The official's words; kept in the registry, never in an event"),
      code: ProviderRejectionCode.default("other").describe("What the event says of the rejection"),
    }),
    (body) => ({ kind: "reject", reasons: body.reasons, code: body.code }),
  );
  regionAction(
    "suspension",
    { operationId: "suspendProvider", summary: "Suspend an approved provider (region, or the provider's municipality)" },
    z.strictObject({
      reason: z.string().trim().min(3).max(500).describe("The official's words; kept in the registry, never in an event"),
      code: ProviderSuspensionCode.default("other").describe("What the event says of the suspension"),
    }),
    (body) => ({ kind: "suspend", reason: body.reason, code: body.code }),
  );
  regionAction("reinstatement", { operationId: "reinstateProvider", summary: "Reinstate a suspended provider (region, or the provider's municipality)" }, z.strictObject({}), () => ({ kind: "reinstate" }));
};
