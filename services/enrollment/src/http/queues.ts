import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { requireMunicipality, requireRole } from "@kruzhok/actor";
import { requireActor } from "@kruzhok/http";
import { enrollmentError } from "../domain/errors";
import { queueOf } from "../store/applications";
import { findGroup } from "../store/projections";
import { checkQueues } from "../store/queue-index";
import { queueScope } from "../usecases/access";
import { rebuildIndex } from "../usecases/indexing";
import { sweepNow } from "../usecases/sweeps";
import type { EnrollmentRouteDeps } from "../deps";
import { CheckResult, IdParams, QueueEntry, QueueQuery, RebuildResult, ScopeQuery, SweepResult } from "./schemas";

/** The time limit of an operator's whole-region operation (the rest have HTTP_HANDLER_TIMEOUT_MS). */
const LONG_OPERATION_MS = 15 * 60_000;

export const queueRoutes: FastifyPluginAsync<EnrollmentRouteDeps> = async (plain, { pool, clock, queues }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ["queues"];

  app.get(
    "/groups/:id/queue",
    {
      schema: {
        tags,
        operationId: "getGroupQueue", summary: "A group's queue in order, from Postgres (the group's provider, or its municipality's office and officials)",
        params: IdParams,
        querystring: QueueQuery,
        response: { 200: QueueEntry.array() },
      },
    },
    async (request) => {
      const group = await findGroup(pool, request.params.id);
      if (!group) throw enrollmentError("GROUP_NOT_FOUND", `no group ${request.params.id}`);
      const actor = requireRole(requireActor(request), "provider", "operator", "municipality");
      requireMunicipality(actor, group.municipalityId);
      if (actor.role === "provider" && actor.providerId !== group.providerId) throw enrollmentError("NOT_YOUR_GROUP", "only the group's provider may see its queue");
      const entries = await queueOf(pool, group.id, request.query.limit);
      return entries.map((a, index) => ({
        position: index + 1,
        applicationId: a.id,
        childId: a.childId,
        status: a.status as "awaiting_financing" | "queued",
        review: a.review,
        // The provider sees the order, not the categories behind it.
        category: actor.role === "provider" ? null : { code: a.categoryCode, rank: a.categoryRank },
        acceptedAt: a.acceptedAtText,
      }));
    },
  );

  app.post(
    "/queues/rebuild",
    {
      schema: {
        tags,
        operationId: "rebuildQueues", summary: "Rebuild the Redis queue index from Postgres (the office: its municipality; the region: one of its municipalities, or all of them)",
        querystring: ScopeQuery,
        response: { 200: RebuildResult },
      },
      // A refusal for the municipality names the query's field.
      config: { fieldsIn: { municipalityId: "query" } },
      // A region's every queue, copied group by group: longer than a request usually may take.
      handlerTimeout: LONG_OPERATION_MS,
    },
    async (request) => rebuildIndex({ pool, queues }, requireActor(request), request.query.municipalityId),
  );

  app.get(
    "/queues/check",
    {
      schema: {
        tags,
        operationId: "checkQueues", summary: "Compare the Redis queue index with Postgres, entry by entry (the office: its municipality; the region: one of its municipalities, or all of them)",
        querystring: ScopeQuery,
        response: { 200: CheckResult },
      },
      config: { fieldsIn: { municipalityId: "query" } },
      handlerTimeout: LONG_OPERATION_MS,
    },
    async (request) => checkQueues(pool, queues, await queueScope(pool, requireActor(request), request.query.municipalityId)),
  );

  app.post(
    "/maintenance/sweep",
    {
      schema: {
        tags,
        operationId: "runSweep", summary: "Run the periodic sweep now: expire offers, move overdue reviews on, complete enrollments of closed groups, re-rank children whose category ran out or began, draw campaigns past their window (region only)",
        response: { 200: SweepResult },
      },
      handlerTimeout: LONG_OPERATION_MS,
    },
    async (request) => sweepNow(pool, requireActor(request), clock()),
  );
};
