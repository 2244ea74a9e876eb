import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { correlationIdOf, requireActor, sendResponse, type ResponseValue } from "@kruzhok/http";
import { withTransaction } from "@kruzhok/postgres";
import type { ApplicationRow } from "../store/applications";
import { enrollmentOfApplication } from "../store/enrollments";
import { offersOfApplication } from "../store/offers";
import { groupRoster, providerApplications } from "../usecases/provider-desk";
import { enrollWalkIn } from "../usecases/walk-ins";
import type { EnrollmentRouteDeps } from "../deps";
import { IdParams, ProviderApplications, ProviderApplicationsQuery, Roster, WalkInBody, WalkInResult } from "./schemas";
import { applicationView, enrollmentView } from "./views";
import { actingActor, actingFieldsIn } from "./acting";

// The provider's desk: the applications to its groups, each group's roster, and the family that
// walks in with its certificate.

export const providerDeskRoutes: FastifyPluginAsync<EnrollmentRouteDeps> = async (plain, { pool, clock, queues, positions }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ["provider desk"];

  app.get(
    "/providers/:id/applications",
    {
      schema: {
        tags,
        operationId: "listProviderApplications", summary: "The applications to a provider's groups, oldest first, with their offers (the provider itself); the children's names are the registry's",
        params: IdParams,
        querystring: ProviderApplicationsQuery,
        response: { 200: ProviderApplications },
      },
    },
    async (request) => {
      const actor = requireActor(request);
      const { groupId, status, cursor, limit } = request.query;
      const page = await providerApplications(pool, actor, { providerId: request.params.id, groupId, status, after: cursor, limit });
      const view = async (a: ApplicationRow) =>
        applicationView(a, await offersOfApplication(pool, a.id), actor, a.status === "enrolled" ? await enrollmentOfApplication(pool, a.id) : undefined);
      return { items: await Promise.all(page.items.map(view)), nextCursor: page.nextCursor };
    },
  );

  app.get(
    "/groups/:id/roster",
    { schema: { tags, operationId: "getGroupRoster", summary: "The children enrolled in a group now (its provider, the office and region of its municipality)", params: IdParams, response: { 200: Roster } } },
    async (request) => ({ groupId: request.params.id, enrollments: (await groupRoster(pool, requireActor(request), request.params.id)).map(enrollmentView) }),
  );

  app.post(
    "/groups/:id/walk-ins",
    {
      schema: {
        tags,
        operationId: "admitWalkIn", summary: "A family walks in: the provider applies by certificate number and birth date, and a free seat is signed for on paper at once; send Idempotency-Key and Acting-Basis",
        description:
          "The provider states the family's paper in Acting-Basis (in_person_visit, or written_request; ref=<the contract's number>). The child jumps no queue: with nobody ahead and a seat free, the child is enrolled (201 with the enrollment); otherwise the application waits in the queue like any other (201, enrollment null).",
        params: IdParams,
        body: WalkInBody,
        response: { 201: WalkInResult },
      },
      // The key is claimed and the answer recorded in the walk-in's own transaction: a crash after
      // COMMIT cannot leave a retry to enroll the child again.
      config: { idempotency: "in-transaction", fieldsIn: actingFieldsIn },
    },
    async (request, reply) => {
      const actor = actingActor(request);
      const key = request.idempotency;
      const deps = { pool, queues, positions, log: request.log };
      const answer = await withTransaction(pool, async (tx): Promise<ResponseValue | undefined> => {
        if (key && !(await key.claimIn(tx))) return undefined;
        const { application, enrollment } = await enrollWalkIn(tx, deps, actor, { groupId: request.params.id, ...request.body }, clock(), {
          correlationId: correlationIdOf(request),
        });
        const response: ResponseValue = {
          status: 201,
          headers: { location: `/applications/${application.id}` },
          body: {
            application: applicationView(application, await offersOfApplication(tx, application.id), actor, enrollment ?? undefined),
            enrollment: enrollment ? enrollmentView(enrollment) : null,
          },
        };
        if (key) await key.recordIn(tx, response);
        return response;
      });
      if (!answer) return key!.answer(request, reply);
      return sendResponse(reply, answer, key);
    },
  );
};
