import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { requireRole } from "@kruzhok/actor";
import { correlationIdOf, requireActor, sendResponse, type ResponseValue } from "@kruzhok/http";
import { registryError } from "../domain/errors";
import { findCertificate, findCertificateOfChild, listApplications, type ApplicationRow, type CertificateRow } from "../store/certificates";
import { findChild } from "../store/people";
import { assertActsForCertificate, assertActsForChild, homeMunicipality, officeRoles } from "../usecases/access";
import { financeCertificate } from "../usecases/financing";
import { reviewHeldApplication, type ApplicationOutcome } from "../usecases/issuance";
import { IssuanceBatcher } from "../usecases/issuance-batcher";
import { changeCertificate, type LifecycleCommand } from "../usecases/lifecycle";
import type { RegistryDeps } from "../deps";
import {
  ApplicationDecision,
  ApplicationQuery,
  ApplyForCertificate,
  CertificateApplication,
  CertificateView,
  Closure,
  HeldApplication,
  IdParams,
  Move,
  Suspension,
} from "./schemas";
import { actingActor, actingFieldsIn } from "./acting";

const tags = ["certificates"];

const view = (c: CertificateRow) => ({ ...c, issuedAt: c.issuedAt.toISOString(), updatedAt: c.updatedAt.toISOString() });
const applicationView = (a: ApplicationRow) => ({ ...a, createdAt: a.createdAt.toISOString(), decidedAt: a.decidedAt?.toISOString() ?? null });

/** The response to an application, as the route sends it and its Idempotency-Key records it. */
function applicationResponse(outcome: ApplicationOutcome): ResponseValue {
  if (outcome.kind === "held") {
    const { application } = outcome;
    return { status: 202, body: { applicationId: application.id, status: "held" as const, reason: application.reason } };
  }
  return { status: 201, headers: { location: `/certificates/${outcome.certificate.id}` }, body: view(outcome.certificate) };
}

/** Certificates: application and issue, held near-duplicates, financing, and their lifecycle. */
export const certificatesRoutes: FastifyPluginAsync<RegistryDeps> = async (plain, deps) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const { pool } = deps;
  // Applications arriving together share one transaction: see IssuanceBatcher.
  const issuance = new IssuanceBatcher(deps);

  app.post(
    "/certificates",
    {
      // The key is claimed and the response recorded in the issuance transaction (IssuanceBatcher).
      // `child.birthDate` is the stored child's, not a field of this request.
      config: { idempotency: "in-transaction", fieldsIn: { child: "as-is", ...actingFieldsIn } },
      schema: {
        tags,
        operationId: "applyForCertificate", summary: "Apply for a child's certificate (a guardian of the child, or the office): issued at once (201), or held as a near-duplicate for the office to decide (202); Idempotency-Key supported",
        description:
          "Issued at once (201, status active, funding accounting) to a child aged 5-17 on the municipality's calendar; held for an operator (202) when a child born the same day with a matching name (transliteration, ё/е, one letter apart) already holds one, whatever document either was registered with.",
        body: ApplyForCertificate,
        response: { 201: CertificateView, 202: HeldApplication },
      },
    },
    async (request, reply) => {
      const key = request.idempotency;
      const outcome = await issuance.apply({
        actor: actingActor(request),
        command: request.body,
        cause: { correlationId: correlationIdOf(request) },
        ...(key && {
          claim: (tx) => key.claimIn(tx),
          record: (tx, recorded) => key.recordIn(tx, applicationResponse(recorded)),
        }),
      });
      if (outcome.kind === "key-taken") {
        if (!key) throw new Error("an application without an Idempotency-Key was answered from one");
        return key.answer(request, reply);
      }
      return sendResponse(reply, applicationResponse(outcome), key);
    },
  );

  app.get(
    "/certificates/:id",
    { schema: { tags, operationId: "getCertificate", summary: "A certificate (guardians of the child, the office of its municipality, its region)", params: IdParams, response: { 200: CertificateView } } },
    async (request) => {
      const actor = requireRole(requireActor(request), "guardian", ...officeRoles, "region");
      const certificate = await findCertificate(pool, request.params.id);
      if (!certificate) throw registryError("CERTIFICATE_NOT_FOUND", `no certificate ${request.params.id}`);
      await assertActsForCertificate(pool, actor, certificate);
      return view(certificate);
    },
  );

  app.get(
    "/children/:id/certificate",
    { schema: { tags, operationId: "getChildCertificate", summary: "A child's certificate", params: IdParams, response: { 200: CertificateView } } },
    async (request) => {
      const actor = requireRole(requireActor(request), "guardian", ...officeRoles);
      const child = await findChild(pool, request.params.id);
      if (!child) throw registryError("CHILD_NOT_FOUND", `no child ${request.params.id}`);
      assertActsForChild(actor, child);
      const certificate = await findCertificateOfChild(pool, child.id);
      if (!certificate) throw registryError("CERTIFICATE_NOT_FOUND", "this child has no certificate yet; apply with POST /certificates");
      return view(certificate);
    },
  );

  app.get(
    "/certificate-applications",
    {
      schema: {
        tags,
        operationId: "listCertificateApplications", summary: "Applications of the caller's municipality, held near-duplicates by default (office)",
        querystring: ApplicationQuery,
        response: { 200: CertificateApplication.array() },
      },
    },
    async (request) => {
      const actor = requireRole(requireActor(request), ...officeRoles);
      const applications = await listApplications(pool, homeMunicipality(actor), request.query.status);
      return applications.map(applicationView);
    },
  );

  app.post(
    "/certificate-applications/:id/decision",
    {
      schema: {
        tags,
        operationId: "decideCertificateApplication", summary: "Decide a held application: approve issues the certificate, reject closes the application (office)",
        params: IdParams,
        body: ApplicationDecision,
        response: { 200: CertificateApplication },
      },
      // The child's stored birth date, not a field of this request.
      config: { fieldsIn: { child: "as-is" } },
    },
    async (request) => {
      const { decision, comment } = request.body;
      const command = { applicationId: request.params.id, decision, comment: comment ?? null };
      return applicationView(await reviewHeldApplication(deps, requireActor(request), command, { correlationId: correlationIdOf(request) }));
    },
  );

  app.post(
    "/certificates/:id/financing",
    {
      schema: {
        tags,
        operationId: "financeCertificate", summary: "Finance the certificate for the municipality's current local year if its cap has room; refused, with nothing changed, otherwise (a guardian of the child, or the office)",
        params: IdParams,
        response: { 200: CertificateView },
      },
      config: { fieldsIn: actingFieldsIn },
    },
    async (request) => view(await financeCertificate(deps, actingActor(request), { certificateId: request.params.id }, { correlationId: correlationIdOf(request) })),
  );

  // The lifecycle: the office of the certificate's municipality, or the region.
  const change = async (request: FastifyRequest, certificateId: string, command: LifecycleCommand) =>
    view(await changeCertificate(deps, requireActor(request), { certificateId, change: command }, { correlationId: correlationIdOf(request) }));

  app.post(
    "/certificates/:id/suspension",
    { schema: { tags, operationId: "suspendCertificate", summary: "Suspend an active certificate, with the reason (the office of its municipality, or the region)", params: IdParams, body: Suspension, response: { 200: CertificateView } } },
    (request) => change(request, request.params.id, { kind: "suspend", reason: request.body.reason, code: request.body.code }),
  );

  app.post(
    "/certificates/:id/resumption",
    { schema: { tags, operationId: "resumeCertificate", summary: "Resume a suspended certificate (the office of its municipality, or the region)", params: IdParams, response: { 200: CertificateView } } },
    (request) => change(request, request.params.id, { kind: "resume" }),
  );

  app.post(
    "/certificates/:id/closure",
    {
      schema: {
        tags,
        operationId: "closeCertificate", summary: "Close a certificate: the child turned 18, left the region, or by decision (with a comment) (the office of its municipality, or the region)",
        params: IdParams,
        body: Closure,
        response: { 200: CertificateView },
      },
    },
    (request) => change(request, request.params.id, { kind: "close", reason: request.body.reason, comment: request.body.comment ?? null }),
  );

  app.post(
    "/certificates/:id/move",
    {
      schema: {
        tags,
        operationId: "moveCertificate", summary: "Move to another municipality of the region: the number stays, funding returns to accounting (the office of its municipality, or the region)",
        params: IdParams,
        body: Move,
        response: { 200: CertificateView },
      },
    },
    (request) => change(request, request.params.id, { kind: "move", toMunicipalityId: request.body.toMunicipalityId }),
  );
};
