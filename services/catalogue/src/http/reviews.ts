import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { v7 as uuidv7 } from "uuid";
import { requireRole } from "@kruzhok/actor";
import { requireActor } from "@kruzhok/http";
import { withTransaction } from "@kruzhok/postgres";
import { catalogueError } from "../domain/errors";
import { decideReview } from "../domain/review";
import { findProgram } from "../store/programs";
import { findEnrollmentForReview, insertReview, listReviews } from "../store/reviews";
import type { CatalogueDeps } from "../deps";
import { requireVisible } from "./access";
import { IdParams, Review, ReviewBody, Reviews } from "./schemas";

export const reviewRoutes: FastifyPluginAsync<CatalogueDeps> = async (plain, { pool, clock, searchCache }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ["reviews"];

  app.post(
    "/programs/:id/reviews",
    {
      schema: {
        tags,
        summary: "Rate a program 1-5 with text (a guardian whose child completed or left it; once per enrollment)",
        params: IdParams,
        body: ReviewBody,
        response: { 201: Review },
      },
    },
    async (request, reply) => {
      const actor = requireRole(requireActor(request), "guardian");
      const guardianId = actor.guardianId ?? "";
      const now = clock();
      const review = await withTransaction(pool, async (tx) => {
        const program = await findProgram(tx, request.params.id);
        if (!program) throw catalogueError("PROGRAM_NOT_FOUND", `no program ${request.params.id}`);
        const enrollment = await findEnrollmentForReview(tx, request.body.enrollmentId);
        if (!enrollment) throw catalogueError("ENROLLMENT_NOT_FOUND", "no enrollment with this id has ended here", { field: "enrollmentId" });
        decideReview(program.id, guardianId, enrollment);
        const id = uuidv7({ msecs: now.getTime() });
        const { enrollmentId, rating, text } = request.body;
        if (!(await insertReview(tx, { id, programId: program.id, enrollmentId, guardianId, rating, text }, now))) {
          throw catalogueError("REVIEW_EXISTS", "this enrollment has already been reviewed", { field: "enrollmentId" });
        }
        // The program's rating in search.
        await searchCache.changing(tx, program.municipalityId);
        return { id, programId: program.id, rating, text, createdAt: now.toISOString() };
      });
      return reply.code(201).send(review);
    },
  );

  app.get(
    "/programs/:id/reviews",
    { schema: { tags, summary: "A program's average rating, count and latest reviews", params: IdParams, response: { 200: Reviews } }, config: { public: true } },
    async (request) => {
      const program = requireVisible(request, await findProgram(pool, request.params.id), request.params.id);
      return { ...program.rating, items: await listReviews(pool, program.id, 50) };
    },
  );
};
