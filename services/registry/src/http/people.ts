import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { requireRole } from "@kruzhok/actor";
import { correlationIdOf, requireActor } from "@kruzhok/http";
import { registryError } from "../domain/errors";
import { familyAuditOfChild, familyAuditOfGuardian, type FamilyActRow } from "../store/audit";
import { childrenOfGuardian, findChild, findGuardian, type ChildRow } from "../store/people";
import { assertActsForChild, assertActsForGuardian, homeMunicipality, officeRoles } from "../usecases/access";
import { chooseLanguage, confirmCoGuardian, registerChild, registerGuardian } from "../usecases/people";
import { decideCategoryClaim, replaceChildCategories } from "../usecases/categories";
import { findFamilies, recordClaimsListed, recordRead } from "../usecases/lookups";
import { lookupsOf } from "../store/lookups";
import { claimsOfChild, waitingClaims, findClaim, type ClaimRow } from "../store/categories";
import type { RegistryDeps } from "../deps";
import {
  CategoryClaimView,
  Child,
  FamilySearchQuery,
  FoundChild,
  LookupsQuery,
  PersonLookup,
  ClaimDecisionBody,
  ClaimParams,
  ClaimsQuery,
  CoGuardianParams,
  FamilyAuditEntry,
  Guardian,
  IdParams,
  LanguageBody,
  RegisterChild,
  RegisterGuardian,
  ReplaceCategories,
  WaitingClaimView,
} from "./schemas";
import { actingActor, actingFieldsIn } from "./acting";

const tags = ["guardians and children"];

const auditView = (e: FamilyActRow) => ({
  id: e.id,
  action: e.action,
  subjectId: e.subjectId,
  by: { role: e.actorRole, subject: e.actorSubject },
  basis: { kind: e.basisKind, reference: e.basisReference },
  at: e.at.toISOString(),
});

const claimView = (claim: ClaimRow) => ({
  id: claim.id,
  code: claim.code,
  proof: claim.proof,
  validFrom: claim.validFrom,
  validUntil: claim.validUntil,
  status: claim.status,
  claimedAt: claim.claimedAt.toISOString(),
  decidedAt: claim.decidedAt?.toISOString() ?? null,
  reason: claim.reason,
});

/** Guardians and their children: registration, records, social categories. */
export const peopleRoutes: FastifyPluginAsync<RegistryDeps> = async (plain, deps) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const { pool } = deps;

  /** A child as its family and the office read it: the verified categories, and the claims with what became of them. */
  const childView = async (child: ChildRow) => ({ ...child, categoryClaims: (await claimsOfChild(pool, child.id, 20)).map(claimView) });

  const childOrThrow = async (id: string): Promise<ChildRow> => {
    const child = await findChild(pool, id);
    if (!child) throw registryError("CHILD_NOT_FOUND", `no child ${id}`);
    return child;
  };

  app.post(
    "/guardians",
    {
      schema: {
        tags,
        operationId: "registerGuardian", summary: "Register a guardian once: oneself (guardian) or a visitor at the office (operator)",
        body: RegisterGuardian,
        response: { 201: Guardian },
      },
      config: { fieldsIn: actingFieldsIn },
    },
    async (request, reply) => {
      const guardian = await registerGuardian(deps, actingActor(request), request.body, { correlationId: correlationIdOf(request) });
      return reply.code(201).header("location", `/guardians/${guardian.id}`).send(guardian);
    },
  );

  app.get(
    "/guardians/:id",
    { schema: { tags, operationId: "getGuardian", summary: "A guardian's record (the guardian, or the office of their municipality)", params: IdParams, response: { 200: Guardian } } },
    async (request) => {
      const actor = requireRole(requireActor(request), "guardian", ...officeRoles);
      const guardian = await findGuardian(pool, request.params.id);
      if (!guardian) throw registryError("GUARDIAN_NOT_FOUND", `no guardian ${request.params.id}`);
      assertActsForGuardian(actor, guardian);
      await recordRead(pool, actor, { kind: "guardian", id: guardian.id, municipalityId: guardian.municipalityId }, deps.clock());
      return guardian;
    },
  );

  app.put(
    "/guardians/:id/language",
    {
      schema: {
        tags,
        operationId: "setGuardianLanguage", summary: "Choose the family's language (the guardian, or the office recording the guardian's choice): every message to the family is written in it",
        params: IdParams,
        body: LanguageBody,
        response: { 200: Guardian },
      },
      config: { fieldsIn: actingFieldsIn },
    },
    async (request) => chooseLanguage(deps, actingActor(request), { guardianId: request.params.id, language: request.body.language }, { correlationId: correlationIdOf(request) }),
  );

  app.get(
    "/guardians/:id/children",
    { schema: { tags, operationId: "listGuardianChildren", summary: "A guardian's children (an office sees those living in its municipality)", params: IdParams, response: { 200: Child.array() } } },
    async (request) => {
      const actor = requireRole(requireActor(request), "guardian", ...officeRoles);
      const guardian = await findGuardian(pool, request.params.id);
      if (!guardian) throw registryError("GUARDIAN_NOT_FOUND", `no guardian ${request.params.id}`);
      assertActsForGuardian(actor, guardian);
      return Promise.all((await childrenOfGuardian(pool, guardian.id, actor.role === "guardian" ? undefined : actor.municipalityId)).map(childView));
    },
  );

  app.post(
    "/children",
    {
      schema: {
        tags,
        operationId: "registerChild", summary: "Register a child once in the region, with guardians and social categories",
        description:
          "A guardian registers their own child in their municipality; an operator registers one in theirs. SNILS and IIN check digits are verified, and an IIN must begin with the birth date.",
        body: RegisterChild,
        response: { 201: Child },
      },
      config: { fieldsIn: actingFieldsIn },
    },
    async (request, reply) => {
      const child = await registerChild(deps, actingActor(request), request.body, { correlationId: correlationIdOf(request) });
      return reply.code(201).header("location", `/children/${child.id}`).send(await childView(child));
    },
  );

  app.get(
    "/children/:id/audit",
    {
      schema: {
        tags,
        operationId: "getChildAudit", summary: "What operators did at the office for the child, with the basis each stated (its guardians, or the office of its municipality)",
        params: IdParams,
        response: { 200: FamilyAuditEntry.array() },
      },
    },
    async (request) => {
      const actor = requireRole(requireActor(request), "guardian", ...officeRoles);
      assertActsForChild(actor, await childOrThrow(request.params.id));
      return (await familyAuditOfChild(pool, request.params.id)).map(auditView);
    },
  );

  app.get(
    "/guardians/:id/audit",
    {
      schema: {
        tags,
        operationId: "getGuardianAudit", summary: "What operators did at the office for the guardian themself (their registration), with its basis (the guardian, or the office)",
        params: IdParams,
        response: { 200: FamilyAuditEntry.array() },
      },
    },
    async (request) => {
      const actor = requireRole(requireActor(request), "guardian", ...officeRoles);
      const guardian = await findGuardian(pool, request.params.id);
      if (!guardian) throw registryError("GUARDIAN_NOT_FOUND", `no guardian ${request.params.id}`);
      assertActsForGuardian(actor, guardian);
      return (await familyAuditOfGuardian(pool, guardian.id)).map(auditView);
    },
  );

  app.get(
    "/children/:id",
    { schema: { tags, operationId: "getChild", summary: "A child's record (their guardians, or the office of their municipality)", params: IdParams, response: { 200: Child } } },
    async (request) => {
      const actor = requireRole(requireActor(request), "guardian", ...officeRoles);
      const child = await childOrThrow(request.params.id);
      assertActsForChild(actor, child);
      await recordRead(pool, actor, { kind: "child", id: child.id, municipalityId: child.municipalityId }, deps.clock());
      return childView(child);
    },
  );

  app.post(
    "/children/:id/guardians/:guardianId/confirmation",
    {
      schema: {
        tags,
        operationId: "confirmGuardianship", summary: "An invited co-guardian confirms the guardianship (the guardian themself, or the office of the child's municipality)",
        params: CoGuardianParams,
        response: { 200: Child },
      },
      config: { fieldsIn: actingFieldsIn },
    },
    async (request) =>
      childView(await confirmCoGuardian(deps, actingActor(request), { childId: request.params.id, guardianId: request.params.guardianId }, { correlationId: correlationIdOf(request) })),
  );

  app.put(
    "/children/:id/categories",
    {
      schema: {
        tags,
        operationId: "setChildCategories", summary: "Replace a child's social categories (a new proof or expiry): a guardian's claims wait for an operator, an office's are verified",
        params: IdParams,
        body: ReplaceCategories,
        response: { 200: Child },
      },
      config: { fieldsIn: actingFieldsIn },
    },
    async (request) =>
      childView(
        await replaceChildCategories(deps, actingActor(request), { childId: request.params.id, categories: request.body.categories }, { correlationId: correlationIdOf(request) }),
      ),
  );

  app.get(
    "/children",
    {
      schema: {
        tags,
        operationId: "findChildren", summary: "Find a family: children of the caller's municipality by name, birth date, document or certificate number (office; an operator states Acting-Basis)",
        description:
          "Every criterion given must hold; a name's words each begin a word of the child's or a guardian's names; a document number is the child's or a guardian's, of any kind. At most 50 children. Every search is written down (GET /person-lookups), and an operator's appears in the family's trail.",
        querystring: FamilySearchQuery,
        response: { 200: FoundChild.array() },
      },
      config: { fieldsIn: actingFieldsIn },
    },
    async (request) => findFamilies(deps, actingActor(request), request.query, { correlationId: correlationIdOf(request) }),
  );

  app.get(
    "/person-lookups",
    {
      schema: {
        tags,
        operationId: "listPersonLookups", summary: "Every look-up of personal data by the municipality's office, newest first: searches and reads of records, by whom, on what basis, showing whom (municipality)",
        querystring: LookupsQuery,
        response: { 200: PersonLookup.array() },
      },
    },
    async (request) => {
      const actor = requireRole(requireActor(request), "municipality");
      const rows = await lookupsOf(pool, homeMunicipality(actor), request.query.limit, request.query.childId);
      return rows.map((row) => ({ ...row, at: row.at.toISOString() }));
    },
  );

  app.get(
    "/category-claims",
    {
      schema: {
        tags,
        operationId: "listCategoryClaims", summary: "Category claims waiting for the office of the caller's municipality, oldest first, with the child and the proof to check (office)",
        querystring: ClaimsQuery,
        response: { 200: WaitingClaimView.array() },
      },
    },
    async (request) => {
      const actor = requireRole(requireActor(request), ...officeRoles);
      const municipalityId = homeMunicipality(actor);
      const { limit, after } = request.query;
      const cursor = after ? await findClaim(pool, after) : undefined;
      if (after && cursor?.municipalityId !== municipalityId) throw registryError("CLAIM_NOT_FOUND", `no category claim ${after} to continue after`, { field: "after" });
      const claims = await waitingClaims(pool, municipalityId, limit, cursor);
      await recordClaimsListed(pool, actor, municipalityId, claims.map((c) => c.childId), deps.clock());
      return claims.map((claim) => ({ ...claimView(claim), childId: claim.childId, child: claim.child }));
    },
  );

  app.post(
    "/category-claims/:id/decision",
    {
      schema: {
        tags,
        operationId: "decideCategoryClaim", summary: "Verify a waiting category claim (it ranks queues and grants benefits from now) or reject it with a reason the family reads (office of the child's municipality)",
        params: ClaimParams,
        body: ClaimDecisionBody,
        response: { 200: CategoryClaimView },
      },
      config: { fieldsIn: actingFieldsIn },
    },
    async (request) =>
      claimView(await decideCategoryClaim(deps, actingActor(request), { claimId: request.params.id, ...request.body }, { correlationId: correlationIdOf(request) })),
  );
};
