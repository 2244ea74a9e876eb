import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { requireMunicipality, requireRole } from "@kruzhok/actor";
import { correlationIdOf, requireActor, sendResponse, type ResponseValue } from "@kruzhok/http";
import { withTransaction } from "@kruzhok/postgres";
import { enrollmentError } from "../domain/errors";
import { queueMember } from "../domain/queue";
import { QUEUE_STATUSES, findApplication, listApplicationsOfChild, markQueueDirty, type ApplicationRow } from "../store/applications";
import { offersOfApplication } from "../store/offers";
import { syncGroup } from "../store/queue-index";
import { reviewApplication, withdrawApplication } from "../usecases/applications";
import { PositionLookups, type Position as PositionAnswer, type RankedApplication } from "../usecases/positions";
import { SubmissionBatcher } from "../usecases/submission-batcher";
import type { EnrollmentDeps } from "../deps";
import { requireFamily, requireProvider, requireReader } from "./access";
import { Application, ApplicationBody, IdParams, Position, ReviewBody } from "./schemas";
import { applicationView } from "./views";

/** What a worker tells its siblings of an application it accepted. */
interface Learnt {
  application: RankedApplication;
  guardianId: string | undefined;
}

export const applicationRoutes: FastifyPluginAsync<EnrollmentDeps> = async (plain, { pool, clock, queues, siblings }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ["applications"];

  const view = async (a: ApplicationRow) => applicationView(a, await offersOfApplication(pool, a.id));

  /** Copy the group's queue to Redis now, best effort: the syncer does it otherwise. */
  const syncSoon = (groupId: string, log: { warn(o: object, m: string): void }) =>
    syncGroup(pool, queues, groupId, { wait: false }).catch((error: unknown) => log.warn({ err: error, groupId }, "queue copy to Redis failed; the syncer retries"));

  /**
   * A new application into the Redis index, after its COMMIT: its member alone (it sorts into
   * place), or the whole group when the set was lost. If Redis fails, the group is marked dirty
   * and the syncer copies it; if the process dies before this, the rebuild at start does.
   */
  const index = async (a: ApplicationRow, log: { warn(o: object, m: string): void }) => {
    try {
      const member = queueMember({ categoryRank: a.categoryRank, acceptedAtMicros: a.acceptedAtMicros, applicationId: a.id });
      if (!(await queues.add(a.groupId, member))) await syncGroup(pool, queues, a.groupId);
    } catch (error) {
      log.warn({ err: error, groupId: a.groupId }, "adding to the Redis queue index failed; the syncer copies the group");
      await markQueueDirty(pool, a.groupId).catch((err: unknown) => log.warn({ err, groupId: a.groupId }, "marking the queue dirty failed; the checker repairs it"));
    }
  };

  const lookups = new PositionLookups(pool, queues);
  // What one worker accepted, the others learn: a family's next lookup may reach any of them.
  const LEARNT = "enrollment.position-facts";
  siblings?.on(LEARNT, (message) => {
    const { application, guardianId } = message as Learnt;
    lookups.learn(application);
    if (guardianId) lookups.rememberGuardian(guardianId, application.childId);
  });
  /** Positions asked of Redis as a lookup arrived (the position route's onRequest). */
  const askedEarly = new WeakMap<FastifyRequest, Promise<PositionAnswer | undefined>>();

  /** requireReader, with the guardianships this process has already found in Postgres. */
  const authorizeReader = async (request: FastifyRequest, owned: { municipalityId: string; childId: string; providerId: string }) => {
    const p = request.actor;
    if (p?.role === "guardian" && p.guardianId && lookups.isKnownGuardian(p.guardianId, owned.childId)) {
      requireMunicipality(p, owned.municipalityId);
      return;
    }
    const actor = await requireReader(pool, request, owned);
    if (actor.role === "guardian" && actor.guardianId) lookups.rememberGuardian(actor.guardianId, owned.childId);
  };

  // Submissions arriving together share a transaction (group commit), each with its own outcome.
  const submissions = new SubmissionBatcher(pool);

  app.post(
    "/applications",
    {
      schema: {
        tags,
        summary: "Apply for a child to a group (a guardian, or an operator for a family at the office); send Idempotency-Key",
        body: ApplicationBody,
        response: { 201: Application },
      },
      // The key is claimed and the answer recorded in the submission's own transaction: a crash
      // after COMMIT cannot leave a retry to apply again (and no commits of the key's own).
      config: { idempotency: "in-transaction" },
    },
    async (request, reply) => {
      const actor = requireRole(requireActor(request), "guardian", "operator");
      const now = clock();
      const key = request.idempotency;
      // A new application has no offers yet.
      const created201 = (created: ApplicationRow): ResponseValue => ({
        status: 201,
        headers: { location: `/applications/${created.id}` },
        body: applicationView(created, []),
      });
      const outcome = await submissions.submit({
        command: { ...request.body, actor, now, origin: { correlationId: correlationIdOf(request) }, indexedAfterCommit: true },
        ...(key && {
          claim: (tx) => key.claimIn(tx),
          record: (tx, created) => key.recordIn(tx, created201(created)),
        }),
      });
      if (outcome.kind === "taken") return key!.answer(request, reply);
      const created = outcome.application;
      await index(created, request.log);
      const guardianId = actor.role === "guardian" ? actor.guardianId : undefined;
      const application = lookups.remember(created);
      if (guardianId) lookups.rememberGuardian(guardianId, created.childId);
      siblings?.tell(LEARNT, { application, guardianId } satisfies Learnt);
      return sendResponse(reply, created201(created), key);
    },
  );

  app.get(
    "/applications/:id",
    { schema: { tags, summary: "An application with its offers", params: IdParams, response: { 200: Application } } },
    async (request) => {
      const a = await findApplication(pool, request.params.id);
      if (!a) throw enrollmentError("APPLICATION_NOT_FOUND", `no application ${request.params.id}`);
      await requireReader(pool, request, a);
      return view(a);
    },
  );

  app.get(
    "/applications/:id/position",
    {
      schema: {
        tags,
        summary: "Where a waiting application stands in its group's queue, and why",
        params: IdParams,
        response: { 200: Position },
      },
      // The schema documents the answer; the answer is PositionLookups' Position, checked against
      // it by the compiler and carrying no other field, so it is written as it is: checking it
      // again with zod on every lookup was ~4 % of the service's CPU per lookup.
      serializerCompiler: () => (data) => JSON.stringify(data),
      // A known application's position is asked of Redis as soon as a caller with a valid token
      // asks, before the rate limit's hook (which the plugin appends after this one) and before
      // authorization, so that it goes out in the same auto-pipelined write as the request's
      // rate-limit count: one round trip where there were two (Redis writes per lookup went from
      // ~16 to ~11 µs of CPU). It is only read, and answered, once the caller is authorized.
      onRequest: (request, _reply, done) => {
        const id = (request.params as { id?: unknown }).id;
        const known = request.actor && typeof id === "string" ? lookups.known(id) : undefined;
        if (known) {
          const early = lookups.fromIndex(known, clock());
          // Refused requests never read it: their failures are the handler's to log, or nobody's.
          early.catch(() => undefined);
          askedEarly.set(request, early);
        }
        done();
      },
    },
    async (request) => {
      const now = clock();
      // The common path: an application this process knows, authorized from what it knows (its
      // municipality, child and provider never change), answered by Redis in one command.
      const known = lookups.known(request.params.id);
      if (known) {
        await authorizeReader(request, known);
        const fast = await (askedEarly.get(request) ?? lookups.fromIndex(known, now)).catch((error: unknown) => {
          request.log.warn({ err: error }, "queue index unavailable; answering the position from Postgres");
          return undefined;
        });
        if (fast) return fast;
      }
      const a = await findApplication(pool, request.params.id);
      if (!a) throw enrollmentError("APPLICATION_NOT_FOUND", `no application ${request.params.id}`);
      await authorizeReader(request, a);
      if (!(QUEUE_STATUSES as readonly string[]).includes(a.status)) {
        lookups.forget(a.id);
        throw enrollmentError("APPLICATION_NOT_IN_QUEUE", `the application is ${a.status}, not waiting in the queue`);
      }
      return lookups.fromTruth(a, now, request.log);
    },
  );

  app.post(
    "/applications/:id/review",
    {
      schema: {
        tags,
        summary: "The provider confirms or rejects an application to its group (within the review deadline; later it is auto-confirmed)",
        params: IdParams,
        body: ReviewBody,
        response: { 200: Application },
      },
    },
    async (request) => {
      const now = clock();
      const a = await withTransaction(pool, (tx) =>
        reviewApplication(tx, request.params.id, request.body.decision, request.body.comment, (found) => void requireProvider(request, found), now, {
          correlationId: correlationIdOf(request),
        }),
      );
      await syncSoon(a.groupId, request.log);
      return view(a);
    },
  );

  app.post(
    "/applications/:id/withdrawal",
    { schema: { tags, summary: "The family withdraws a waiting application", params: IdParams, response: { 200: Application } } },
    async (request) => {
      const now = clock();
      const a = await withTransaction(pool, (tx) =>
        withdrawApplication(tx, request.params.id, async (found) => void (await requireFamily(tx, request, found)), now, {
          correlationId: correlationIdOf(request),
        }),
      );
      await syncSoon(a.groupId, request.log);
      return view(a);
    },
  );

  app.get(
    "/children/:id/applications",
    { schema: { tags, summary: "A child's applications, newest first (its guardian or the office)", params: IdParams, response: { 200: Application.array() } } },
    async (request) => {
      const actor = requireRole(requireActor(request), "guardian", "operator", "municipality");
      const { rows } = await pool.query<{ municipalityId: string }>(`SELECT municipality_id AS "municipalityId" FROM certificates WHERE child_id = $1`, [request.params.id]);
      const municipalityId = rows[0]?.municipalityId;
      if (!municipalityId) return [];
      requireMunicipality(actor, municipalityId);
      if (actor.role === "guardian") await requireFamily(pool, request, { municipalityId, childId: request.params.id, providerId: "" });
      return Promise.all((await listApplicationsOfChild(pool, request.params.id)).map(view));
    },
  );
};
