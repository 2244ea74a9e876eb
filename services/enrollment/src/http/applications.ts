import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { requireMunicipality, requireRole, type Actor } from "@kruzhok/actor";
import { correlationIdOf, requireActor, sendResponse, type AccessSample, type ResponseValue } from "@kruzhok/http";
import { withTransaction } from "@kruzhok/postgres";
import { enrollmentError } from "../domain/errors";
import { findApplication, listApplicationsOfChild, type ApplicationRow } from "../store/applications";
import { enrollmentOfApplication } from "../store/enrollments";
import { familyAuditOfChild } from "../store/audit";
import { offersOfApplication } from "../store/offers";
import { municipalityOfChild } from "../store/projections";
import { requireFamily, requireReader } from "../usecases/access";
import { reviewApplication, withdrawApplication } from "../usecases/applications";
import { readKeptPosition, readPosition } from "../usecases/position-read";
import type { Position as PositionAnswer } from "../usecases/positions";
import { SubmissionBatcher } from "../usecases/submission-batcher";
import type { EnrollmentRouteDeps } from "../deps";
import { Application, ApplicationBody, FamilyAuditEntry, IdParams, Position, ReviewBody } from "./schemas";
import { applicationView, familyLanguageOf, positionBody } from "./views";
import { actingActor, actingFieldsIn } from "./acting";

/**
 * A position's answer: its bytes, written once per position and language (views.ts); the route's
 * schema documents them, and the typed reply takes objects only. A function of the module, not a
 * closure made for every lookup.
 */
function sendPosition(request: FastifyRequest, reply: FastifyReply, actor: Actor, position: PositionAnswer): void {
  void reply.type("application/json; charset=utf-8").send(positionBody(actor, position, familyLanguageOf(request)));
}

export const applicationRoutes: FastifyPluginAsync<EnrollmentRouteDeps & { positionAccess: AccessSample }> = async (plain, { pool, clock, queues, positions, metrics, positionAccess }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ["applications"];

  const view = async (a: ApplicationRow, viewer: Actor) =>
    applicationView(a, await offersOfApplication(pool, a.id), viewer, a.status === "enrolled" ? await enrollmentOfApplication(pool, a.id) : undefined);
  /** The use cases' queue index, with the request's log for what fails after COMMIT. */
  const indexFor = (request: FastifyRequest) => ({ pool, queues, log: request.log });

  /** Positions asked of Redis as a lookup arrived (the position route's onRequest). */
  const askedEarly = new WeakMap<FastifyRequest, Promise<PositionAnswer | undefined>>();

  // Submissions arriving together share a transaction (group commit), each with its own outcome.
  const submissions = new SubmissionBatcher({ pool, queues, positions, log: plain.log }, { metrics });

  app.post(
    "/applications",
    {
      schema: {
        tags,
        operationId: "submitApplication", summary: "Apply for a child to a group (a guardian, or an operator for a family at the office); send Idempotency-Key",
        body: ApplicationBody,
        response: { 201: Application },
      },
      // The key is claimed and the answer recorded in the submission's own transaction: a crash
      // after COMMIT cannot leave a retry to apply again (and no commits of the key's own).
      config: { idempotency: "in-transaction", fieldsIn: actingFieldsIn },
    },
    async (request, reply) => {
      const key = request.idempotency;
      // A new application has no offers yet.
      const created201 = (created: ApplicationRow): ResponseValue => ({
        status: 201,
        headers: { location: `/applications/${created.id}` },
        body: applicationView(created, []),
      });
      const outcome = await submissions.submit({
        actor: actingActor(request),
        command: request.body,
        now: clock(),
        cause: { correlationId: correlationIdOf(request) },
        log: request.log,
        ...(key && {
          claim: (tx) => key.claimIn(tx),
          record: (tx, created) => key.recordIn(tx, created201(created)),
        }),
      });
      if (outcome.kind === "taken") return key!.answer(request, reply);
      return sendResponse(reply, created201(outcome.application), key);
    },
  );

  app.get(
    "/applications/:id",
    { schema: { tags, operationId: "getApplication", summary: "An application with its offers", params: IdParams, response: { 200: Application } } },
    async (request) => {
      const a = await findApplication(pool, request.params.id);
      if (!a) throw enrollmentError("APPLICATION_NOT_FOUND", `no application ${request.params.id}`);
      const actor = requireActor(request);
      await requireReader(pool, actor, a);
      return view(a, actor);
    },
  );

  app.get(
    "/applications/:id/position",
    {
      schema: {
        tags,
        operationId: "getApplicationPosition", summary: "Where a waiting application stands in its group's queue, and why",
        params: IdParams,
        response: { 200: Position },
      },
      // The schema documents the answer; the answer is PositionLookups' Position, checked against
      // it by the compiler and carrying no other field, so it is written as it is: checking it
      // again with zod on every lookup was a measurable share of a lookup's CPU (BENCHMARKS.md).
      serializerCompiler: () => (data) => JSON.stringify(data),
      // Families poll it: only a sample of its successful, quick answers leaves an access line.
      config: { accessSample: positionAccess },
      // A known application's position is asked as soon as a caller with a valid token asks
      // (after the app's hooks: token, rate limit), before authorization: a position not kept
      // (its group changed since) is then on its way from Redis while the request goes through
      // the rest of its hooks, one round trip overlapped with them (BENCHMARKS.md). It is only
      // read, and answered, once the caller is authorized.
      onRequest: (request, _reply, done) => {
        const id = (request.params as { id?: unknown }).id;
        const known = request.actor && typeof id === "string" ? positions.known(id) : undefined;
        // Kept counts need no Redis: the handler answers from them (`readKeptPosition`).
        if (known && !positions.keepsCounts(known)) {
          const early = positions.fromIndex(known, clock());
          // Refused requests never read it: their failures are the handler's to log, or nobody's.
          early.catch(() => undefined);
          askedEarly.set(request, early);
        }
        done();
      },
    },
    (request, reply) => {
      const actor = requireActor(request);
      const now = clock();
      // Not an async handler: a family asking again (its position kept, itself known) is answered
      // within this call; the rest goes the whole way, and Fastify waits for the promise.
      const kept = readKeptPosition(positions, actor, request.params.id, now);
      if (kept) return sendPosition(request, reply, actor, kept);
      return readPosition({ pool, queues, positions, log: request.log }, actor, request.params.id, now, askedEarly.get(request)).then((position) =>
        sendPosition(request, reply, actor, position),
      );
    },
  );

  app.post(
    "/applications/:id/review",
    {
      schema: {
        tags,
        operationId: "reviewApplication", summary: "The provider confirms or rejects an application to its group (within the review deadline; later it is auto-confirmed)",
        params: IdParams,
        body: ReviewBody,
        response: { 200: Application },
      },
    },
    async (request) => {
      const actor = requireActor(request);
      const command = { applicationId: request.params.id, ...request.body };
      const a = await withTransaction(pool, (tx) => reviewApplication(tx, indexFor(request), actor, command, clock(), { correlationId: correlationIdOf(request) }));
      return view(a, actor);
    },
  );

  app.post(
    "/applications/:id/withdrawal",
    { schema: { tags, operationId: "withdrawApplication", summary: "The family (or an operator for it, with Acting-Basis) withdraws a waiting application", params: IdParams, response: { 200: Application } }, config: { fieldsIn: actingFieldsIn } },
    async (request) => {
      const actor = actingActor(request);
      const a = await withTransaction(pool, (tx) => withdrawApplication(tx, indexFor(request), actor, request.params.id, clock(), { correlationId: correlationIdOf(request) }));
      return view(a, actor);
    },
  );

  app.get(
    "/children/:id/audit",
    {
      schema: {
        tags,
        operationId: "getChildAudit", summary: "What operators did for the child's family at the office, with the basis each stated, oldest first (its guardian or the office)",
        params: IdParams,
        response: { 200: FamilyAuditEntry.array() },
      },
    },
    async (request) => {
      const actor = requireRole(requireActor(request), "guardian", "operator", "municipality");
      const municipalityId = await municipalityOfChild(pool, request.params.id);
      if (!municipalityId) return [];
      requireMunicipality(actor, municipalityId);
      if (actor.role === "guardian") await requireFamily(pool, actor, { municipalityId, childId: request.params.id });
      return (await familyAuditOfChild(pool, request.params.id)).map((e) => ({
        id: e.id,
        action: e.action,
        subjectId: e.subjectId,
        by: { role: e.actorRole, subject: e.actorSubject },
        basis: { kind: e.basisKind, reference: e.basisReference },
        at: e.at.toISOString(),
      }));
    },
  );

  app.get(
    "/children/:id/applications",
    { schema: { tags, operationId: "listChildApplications", summary: "A child's applications, newest first (its guardian or the office)", params: IdParams, response: { 200: Application.array() } } },
    async (request) => {
      const actor = requireRole(requireActor(request), "guardian", "operator", "municipality");
      const municipalityId = await municipalityOfChild(pool, request.params.id);
      if (!municipalityId) return [];
      requireMunicipality(actor, municipalityId);
      if (actor.role === "guardian") await requireFamily(pool, actor, { municipalityId, childId: request.params.id });
      return Promise.all((await listApplicationsOfChild(pool, request.params.id)).map((a) => view(a, actor)));
    },
  );
};
