import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { correlationIdOf, requireMunicipality, requireRole } from "@kruzhok/http";
import { withTransaction } from "@kruzhok/postgres";
import { enrollmentError } from "../domain/errors";
import { QUEUE_STATUSES, findApplication, listApplicationsOfChild, type ApplicationRow } from "../store/applications";
import { offersOfApplication } from "../store/offers";
import { syncGroup } from "../store/queue-index";
import { reviewApplication, submitApplication, withdrawApplication } from "../usecases/applications";
import { positionOf } from "../usecases/positions";
import type { EnrollmentDeps } from "../deps";
import { requireFamily, requireProvider, requireReader } from "./access";
import { Application, ApplicationBody, IdParams, Position, ReviewBody } from "./schemas";
import { applicationView } from "./views";

export const applicationRoutes: FastifyPluginAsync<EnrollmentDeps> = async (plain, { pool, clock, queues }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ["applications"];

  const view = async (a: ApplicationRow) => applicationView(a, await offersOfApplication(pool, a.id));

  /** Copy the group's queue to Redis now, best effort: the syncer does it otherwise. */
  const syncSoon = (groupId: string, log: { warn(o: object, m: string): void }) =>
    syncGroup(pool, queues, groupId, { wait: false }).catch((error: unknown) => log.warn({ err: error, groupId }, "queue copy to Redis failed; the syncer retries"));

  app.post(
    "/applications",
    {
      schema: {
        tags,
        summary: "Apply for a child to a group (a guardian, or an operator for a family at the office); send Idempotency-Key",
        body: ApplicationBody,
        response: { 201: Application },
      },
    },
    async (request, reply) => {
      const principal = requireRole(request, "guardian", "operator");
      const now = clock();
      const created = await withTransaction(pool, (tx) =>
        submitApplication(tx, { ...request.body, principal, now, origin: { correlationId: correlationIdOf(request) } }),
      );
      await syncSoon(created.groupId, request.log);
      return reply.code(201).header("location", `/applications/${created.id}`).send(await view(created));
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
    },
    async (request) => {
      const a = await findApplication(pool, request.params.id);
      if (!a) throw enrollmentError("APPLICATION_NOT_FOUND", `no application ${request.params.id}`);
      await requireReader(pool, request, a);
      if (!(QUEUE_STATUSES as readonly string[]).includes(a.status)) {
        throw enrollmentError("APPLICATION_NOT_IN_QUEUE", `the application is ${a.status}, not waiting in the queue`);
      }
      return positionOf(pool, queues, a, clock(), request.log);
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
      const principal = requireRole(request, "guardian", "operator", "municipality");
      const { rows } = await pool.query<{ municipalityId: string }>(`SELECT municipality_id AS "municipalityId" FROM certificates WHERE child_id = $1`, [request.params.id]);
      const municipalityId = rows[0]?.municipalityId;
      if (!municipalityId) return [];
      requireMunicipality(principal, municipalityId);
      if (principal.role === "guardian") await requireFamily(pool, request, { municipalityId, childId: request.params.id, providerId: "" });
      return Promise.all((await listApplicationsOfChild(pool, request.params.id)).map(view));
    },
  );
};
