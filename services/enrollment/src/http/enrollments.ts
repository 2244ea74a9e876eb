import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { requireRole } from "@kruzhok/actor";
import { correlationIdOf, requireActor } from "@kruzhok/http";
import { withTransaction, type Queryable } from "@kruzhok/postgres";
import { enrollmentError } from "../domain/errors";
import { findEnrollment, type EndReason, type EnrollmentRow } from "../store/enrollments";
import { syncGroup } from "../store/queue-index";
import { submitApplication } from "../usecases/applications";
import { endEnrollmentOf } from "../usecases/offers";
import type { EnrollmentDeps } from "../deps";
import { requireFamily, requireProvider, requireReader } from "./access";
import { Application, EndBody, Enrollment, IdParams, TransferBody } from "./schemas";
import { applicationView, enrollmentView } from "./views";

/**
 * Who may end an enrollment for which reason: the family withdraws (or an operator for it), the
 * provider expels, and completion is recorded by the provider or the office.
 */
async function authorizeEnd(db: Queryable, request: FastifyRequest, e: EnrollmentRow, reason: EndReason): Promise<string> {
  const actor = requireRole(requireActor(request), "guardian", "operator", "provider");
  const allowed: Record<EndReason, readonly string[]> = { withdrawn: ["guardian", "operator"], expelled: ["provider"], completed: ["provider", "operator"] };
  if (!allowed[reason].includes(actor.role)) {
    throw enrollmentError("END_REASON_NOT_ALLOWED", `${actor.role} may not end an enrollment as ${reason}`, { field: "reason" });
  }
  if (actor.role === "provider") return requireProvider(request, e).subject;
  return (await requireFamily(db, request, e)).subject;
}

export const enrollmentRoutes: FastifyPluginAsync<EnrollmentDeps> = async (plain, { pool, clock, queues }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ["enrollments"];

  app.get(
    "/enrollments/:id",
    { schema: { tags, summary: "An enrollment with its contract", params: IdParams, response: { 200: Enrollment } } },
    async (request) => {
      const e = await findEnrollment(pool, request.params.id);
      if (!e) throw enrollmentError("ENROLLMENT_NOT_FOUND", `no enrollment ${request.params.id}`);
      await requireReader(pool, request, e);
      return enrollmentView(e);
    },
  );

  app.post(
    "/enrollments/:id/end",
    {
      schema: {
        tags,
        summary: "End an enrollment: completion, withdrawal by the family, or expulsion by the provider (the contract ends too); the seat is offered on",
        params: IdParams,
        body: EndBody,
        response: { 200: Enrollment },
      },
    },
    async (request) => {
      const now = clock();
      const ended = await withTransaction(pool, (tx) =>
        endEnrollmentOf(tx, request.params.id, request.body.reason, (e) => authorizeEnd(tx, request, e, request.body.reason), now, {
          correlationId: correlationIdOf(request),
        }),
      );
      await syncGroup(pool, queues, ended.groupId, { wait: false }).catch(() => undefined);
      return enrollmentView(ended);
    },
  );

  app.post(
    "/enrollments/:id/transfer",
    {
      schema: {
        tags,
        summary:
          "Move the child to another group (the family, or an operator for it): an application reusing the child's certificate; it queues as any other, and the enrollment ends when the new one starts",
        params: IdParams,
        body: TransferBody,
        response: { 201: Application },
      },
    },
    async (request, reply) => {
      const now = clock();
      const created = await withTransaction(pool, async (tx) => {
        const e = await findEnrollment(tx, request.params.id);
        if (!e) throw enrollmentError("ENROLLMENT_NOT_FOUND", `no enrollment ${request.params.id}`);
        const actor = await requireFamily(tx, request, e);
        return submitApplication(tx, {
          childId: e.childId,
          groupId: request.body.groupId,
          actor,
          now,
          origin: { correlationId: correlationIdOf(request) },
          transferOf: e.id,
        });
      });
      await syncGroup(pool, queues, created.groupId, { wait: false }).catch((error: unknown) =>
        request.log.warn({ err: error, groupId: created.groupId }, "queue copy to Redis failed; the syncer retries"),
      );
      return reply.code(201).header("location", `/applications/${created.id}`).send(applicationView(created, []));
    },
  );
};
