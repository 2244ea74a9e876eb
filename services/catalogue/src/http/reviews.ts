import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { correlationIdOf, requireActor } from "@kruzhok/http";
import { requireVisible } from "../domain/listing";
import { findProgram } from "../store/programs";
import { listReviews } from "../store/reviews";
import { reviewProgram } from "../usecases/reviews";
import type { CatalogueDeps } from "../deps";
import { IdParams, Review, ReviewBody, Reviews } from "./schemas";

export const reviewRoutes: FastifyPluginAsync<CatalogueDeps> = async (plain, deps) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ["reviews"];

  app.post(
    "/programs/:id/reviews",
    {
      schema: {
        tags,
        operationId: "reviewProgram", summary: "Rate a program 1-5 with text (a guardian whose child completed or left it; once per enrollment)",
        params: IdParams,
        body: ReviewBody,
        response: { 201: Review },
      },
    },
    async (request, reply) => {
      const review = await reviewProgram(deps, requireActor(request), { programId: request.params.id, ...request.body }, { correlationId: correlationIdOf(request) });
      return reply.code(201).send(review);
    },
  );

  app.get(
    "/programs/:id/reviews",
    { schema: { tags, operationId: "listProgramReviews", summary: "A program's average rating, count and latest reviews", params: IdParams, response: { 200: Reviews } }, config: { public: true } },
    async (request) => {
      const program = requireVisible(request.actor, await findProgram(deps.pool, request.params.id), request.params.id);
      return { ...program.rating, items: await listReviews(deps.pool, program.id, 50) };
    },
  );
};
