import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { correlationIdOf, requireActor } from "@kruzhok/http";
import { withTransaction } from "@kruzhok/postgres";
import { enrollmentError } from "../domain/errors";
import { findApplication } from "../store/applications";
import { findOffer } from "../store/offers";
import { requireReader } from "../usecases/access";
import { acceptOffer, declineOffer } from "../usecases/offers";
import type { EnrollmentRouteDeps } from "../deps";
import { AcceptanceBody, Enrollment, IdParams, Offer } from "./schemas";
import { enrollmentView, offerView } from "./views";
import { actingActor, actingFieldsIn } from "./acting";

export const offerRoutes: FastifyPluginAsync<EnrollmentRouteDeps> = async (plain, { pool, clock, queues }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ["offers"];

  app.get(
    "/offers/:id",
    { schema: { tags, operationId: "getOffer", summary: "An offer of a seat and its deadline", params: IdParams, response: { 200: Offer } } },
    async (request) => {
      const offer = await findOffer(pool, request.params.id);
      if (!offer) throw enrollmentError("OFFER_NOT_FOUND", `no offer ${request.params.id}`);
      await requireReader(pool, requireActor(request), (await findApplication(pool, offer.applicationId))!);
      return offerView(offer);
    },
  );

  app.post(
    "/offers/:id/acceptance",
    {
      schema: {
        tags,
        operationId: "acceptOffer", summary: "Accept an offer: the guardian signs the contract electronically, or an operator records an in-person signature; the enrollment starts",
        params: IdParams,
        body: AcceptanceBody,
        response: { 201: Enrollment },
      },
      config: { fieldsIn: actingFieldsIn },
    },
    async (request, reply) => {
      const actor = actingActor(request);
      const command = { offerId: request.params.id, method: request.body.method, leaveNow: request.body.leaveNow };
      const enrollment = await withTransaction(pool, (tx) =>
        acceptOffer(tx, { pool, queues, log: request.log }, actor, command, clock(), { correlationId: correlationIdOf(request) }),
      );
      return reply.code(201).header("location", `/enrollments/${enrollment.id}`).send(enrollmentView(enrollment));
    },
  );

  app.post(
    "/offers/:id/decline",
    { schema: { tags, operationId: "declineOffer", summary: "Decline an offer: the seat passes to the next in the queue", params: IdParams, response: { 200: Offer } }, config: { fieldsIn: actingFieldsIn } },
    async (request) => {
      const actor = actingActor(request);
      const offer = await withTransaction(pool, (tx) =>
        declineOffer(tx, { pool, queues, log: request.log }, actor, request.params.id, clock(), { correlationId: correlationIdOf(request) }),
      );
      return offerView(offer);
    },
  );
};
