import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { correlationIdOf, requireActor } from "@kruzhok/http";
import { notifyAbsence, supplyProof } from "../usecases/notices";
import { reviewMarks } from "../usecases/reviews";
import { childMonth } from "../usecases/views";
import type { AttendanceDeps } from "../deps";
import { IdParams, MarkView, MonthQuery, Notice, NoticeBody, ProofBody, ReviewBody } from "./schemas";
import { iso } from "./views";

export const noticeRoutes: FastifyPluginAsync<AttendanceDeps> = async (plain, deps) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const view = <T extends Parameters<typeof iso>[0]>(notice: T) => Notice.parse(iso(notice));

  app.post(
    "/absence-notices",
    {
      schema: {
        tags: ["absences"],
        operationId: "notifyAbsence", summary: "Notify an absence: a guardian for their child, a provider on the guardian's statement, or a provider for its group's quarantine or repairs",
        body: NoticeBody,
        response: { 201: Notice },
      },
    },
    async (request, reply) => {
      const notice = await notifyAbsence(deps, requireActor(request), request.body, { correlationId: correlationIdOf(request) });
      return reply.code(201).header("location", `/absence-notices/${notice.id}`).send(view(notice));
    },
  );

  app.post(
    "/absence-notices/:id/proof",
    { schema: { tags: ["absences"], operationId: "supplyAbsenceProof", summary: "Supply the proof of an absence (a guardian of the child, or the group's provider)", params: IdParams, body: ProofBody, response: { 200: Notice.extend({ proofLate: z.boolean() }) } } },
    async (request) => {
      const notice = await supplyProof(deps, requireActor(request), { noticeId: request.params.id, reference: request.body.reference }, { correlationId: correlationIdOf(request) });
      return { ...view(notice), proofLate: notice.proofLate };
    },
  );

  app.get(
    "/children/:id/marks",
    { schema: { tags: ["confirmation"], operationId: "getChildMarks", summary: "A child's marks of a month (its guardians, its providers, the municipality's staff)", params: IdParams, querystring: MonthQuery, response: { 200: MarkView.array() } } },
    async (request) => (await childMonth(deps.pool, requireActor(request), request.params.id, request.query.month)).map(iso),
  );

  app.post(
    "/children/:id/mark-reviews",
    {
      schema: {
        tags: ["confirmation"],
        operationId: "reviewMarks", summary: "A guardian confirms or disputes marks; the municipality's operators and officials resolve disputed ones",
        params: IdParams,
        body: ReviewBody,
        response: { 200: z.array(z.object({ lessonId: z.uuid(), status: z.string(), review: z.string() })) },
      },
    },
    async (request) => reviewMarks(deps, requireActor(request), { childId: request.params.id, marks: request.body.marks }, { correlationId: correlationIdOf(request) }),
  );
};
