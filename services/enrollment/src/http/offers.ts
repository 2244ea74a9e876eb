import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { correlationIdOf } from "@kruzhok/http";
import { withTransaction } from "@kruzhok/postgres";
import { enrollmentError } from "../domain/errors";
import { findApplication } from "../store/applications";
import { findEnrollment } from "../store/enrollments";
import { findOffer } from "../store/offers";
import { syncGroup } from "../store/queue-index";
import { acceptOffer, declineOffer } from "../usecases/offers";
import type { EnrollmentDeps } from "../deps";
import { requireFamily, requireReader } from "./access";
import { AcceptanceBody, Enrollment, IdParams, Offer } from "./schemas";
import { enrollmentView, offerView } from "./views";

export const offerRoutes: FastifyPluginAsync<EnrollmentDeps> = async (plain, { pool, clock, queues }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ["offers"];

  app.get(
    "/offers/:id",
    { schema: { tags, summary: "An offer of a seat and its deadline", params: IdParams, response: { 200: Offer } } },
    async (request) => {
      const offer = await findOffer(pool, request.params.id);
      if (!offer) throw enrollmentError("OFFER_NOT_FOUND", `no offer ${request.params.id}`);
      await requireReader(pool, request, (await findApplication(pool, offer.applicationId))!);
      return offerView(offer);
    },
  );

  app.post(
    "/offers/:id/acceptance",
    {
      schema: {
        tags,
        summary: "Accept an offer: the guardian signs the contract electronically, or an operator records an in-person signature; the enrollment starts",
        params: IdParams,
        body: AcceptanceBody,
        response: { 201: Enrollment },
      },
    },
    async (request, reply) => {
      const now = clock();
      let transferOf: string | null = null;
      const enrollment = await withTransaction(pool, (tx) =>
        acceptOffer(
          tx,
          request.params.id,
          async (_offer, application) => {
            transferOf = application.transferOf;
            const actor = await requireFamily(tx, request, application);
            // A guardian signs in the app; an operator records the signature made on paper at the office.
            const method = request.body.method ?? (actor.role === "guardian" ? "electronic" : "in_person");
            if ((method === "electronic") !== (actor.role === "guardian")) {
              throw enrollmentError("SIGNATURE_METHOD", "a guardian signs electronically; an operator records an in-person signature", { field: "method" });
            }
            return { method, signedBy: actor.subject, signedRole: actor.role };
          },
          now,
          { correlationId: correlationIdOf(request) },
        ),
      );
      // A transfer freed a seat in the group left, which may have moved that queue.
      const left = transferOf ? await findEnrollment(pool, transferOf) : undefined;
      if (left) await syncGroup(pool, queues, left.groupId, { wait: false }).catch(() => undefined);
      return reply.code(201).header("location", `/enrollments/${enrollment.id}`).send(enrollmentView(enrollment));
    },
  );

  app.post(
    "/offers/:id/decline",
    { schema: { tags, summary: "Decline an offer: the seat passes to the next in the queue", params: IdParams, response: { 200: Offer } } },
    async (request) => {
      const now = clock();
      const offer = await withTransaction(pool, (tx) =>
        declineOffer(tx, request.params.id, async (_offer, application) => (await requireFamily(tx, request, application)).subject, now, {
          correlationId: correlationIdOf(request),
        }),
      );
      await syncGroup(pool, queues, offer.groupId, { wait: false }).catch(() => undefined);
      return offerView(offer);
    },
  );
};
