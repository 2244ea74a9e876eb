import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { correlationIdOf, requireActor } from "@kruzhok/http";
import { withTransaction } from "@kruzhok/postgres";
import { enrollmentError } from "../domain/errors";
import { findEnrollment } from "../store/enrollments";
import { requireReader } from "../usecases/access";
import { answerExpulsion, endEnrollmentOf } from "../usecases/offers";
import { requestTransfer } from "../usecases/submission";
import type { EnrollmentRouteDeps } from "../deps";
import { Application, EndBody, Enrollment, ExpulsionAnswerBody, IdParams, TransferBody } from "./schemas";
import { applicationView, enrollmentView } from "./views";
import { actingActor, actingFieldsIn } from "./acting";

export const enrollmentRoutes: FastifyPluginAsync<EnrollmentRouteDeps> = async (plain, { pool, clock, queues, positions }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ["enrollments"];

  app.get(
    "/enrollments/:id",
    { schema: { tags, operationId: "getEnrollment", summary: "An enrollment with its contract", params: IdParams, response: { 200: Enrollment } } },
    async (request) => {
      const e = await findEnrollment(pool, request.params.id);
      if (!e) throw enrollmentError("ENROLLMENT_NOT_FOUND", `no enrollment ${request.params.id}`);
      await requireReader(pool, requireActor(request), e);
      return enrollmentView(e);
    },
  );

  app.post(
    "/enrollments/:id/end",
    {
      schema: {
        tags,
        operationId: "endEnrollment", summary: "End an enrollment: completion, withdrawal by the family, or expulsion by the provider (the contract ends too); the seat is offered on",
        params: IdParams,
        body: EndBody,
        response: { 200: Enrollment },
      },
      config: { fieldsIn: actingFieldsIn },
    },
    async (request) => {
      const actor = actingActor(request);
      const command = { enrollmentId: request.params.id, reason: request.body.reason, comment: request.body.comment };
      const ended = await withTransaction(pool, (tx) =>
        endEnrollmentOf(tx, { pool, queues, log: request.log }, actor, command, clock(), { correlationId: correlationIdOf(request) }),
      );
      return enrollmentView(ended);
    },
  );

  app.post(
    "/enrollments/:id/expulsion-answer",
    {
      schema: {
        tags,
        operationId: "answerExpulsion", summary: "The family answers the reasons its child was expelled for (a guardian, or an operator for the family); the provider and the office read it",
        params: IdParams,
        body: ExpulsionAnswerBody,
        response: { 200: Enrollment },
      },
      config: { fieldsIn: actingFieldsIn },
    },
    async (request) => {
      const answered = await withTransaction(pool, (tx) => answerExpulsion(tx, actingActor(request), { enrollmentId: request.params.id, text: request.body.text }, clock()));
      return enrollmentView(answered);
    },
  );

  app.post(
    "/enrollments/:id/transfer",
    {
      schema: {
        tags,
        operationId: "transferEnrollment", summary:
          "Move the child to another group (the family, or an operator for it): an application reusing the child's certificate; it queues as any other, and the enrollment ends when the new one starts",
        params: IdParams,
        body: TransferBody,
        response: { 201: Application },
      },
      config: { fieldsIn: actingFieldsIn },
    },
    async (request, reply) => {
      const actor = actingActor(request);
      const command = { enrollmentId: request.params.id, groupId: request.body.groupId };
      const created = await withTransaction(pool, (tx) =>
        requestTransfer(tx, { pool, queues, positions, log: request.log }, actor, command, clock(), { correlationId: correlationIdOf(request) }),
      );
      return reply.code(201).header("location", `/applications/${created.id}`).send(applicationView(created, []));
    },
  );
};
