// A waiting family's place in its queue as Server-Sent Events: the position when the stream
// opens, then again only when it changed (the queue's changes are heard from Redis, see
// PositionWatch), so that nobody polls on opening day. The stream ends with `left` once the
// application no longer waits (an offer, a withdrawal) or the reader may no longer read it.
import { PassThrough } from "node:stream";
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { isDomainError } from "@kruzhok/errors";
import { requireActor, STREAM_HANDLER_TIMEOUT_MS } from "@kruzhok/http";
import type { EnrollmentRouteDeps } from "../deps";
import { readPosition } from "../usecases/position-read";
import type { PositionWatch } from "../usecases/position-watch";
import { IdParams } from "./schemas";
import { familyLanguageOf, positionFor } from "./views";

/** A comment line this often keeps proxies and load balancers from closing an idle stream. */
const KEEP_ALIVE_MS = 20_000;
/** How soon a browser's EventSource opens the stream again after it ended (a deploy, a replica gone). */
const RETRY_MS = 3_000;

export interface PositionStreamDeps extends EnrollmentRouteDeps {
  watch: PositionWatch;
}

export const positionStreamRoutes: FastifyPluginAsync<PositionStreamDeps> = async (plain, { pool, clock, queues, positions, watch }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  // Open streams end when the app closes (a deploy), or it would wait for every family to leave.
  const open = new Set<() => void>();
  // One timer for every open stream's keep-alive rather than one each.
  const keepAlive = setInterval(() => {
    for (const stream of streams) stream.write(": keep-alive\n\n");
  }, KEEP_ALIVE_MS);
  keepAlive.unref();
  const streams = new Set<PassThrough>();
  app.addHook("preClose", async () => {
    clearInterval(keepAlive);
    for (const finish of open) finish();
  });
  app.addHook("onClose", async () => watch.stop());

  app.get(
    "/applications/:id/position/stream",
    {
      schema: {
        tags: ["applications"],
        operationId: "streamApplicationPosition",
        summary:
          "Server-Sent Events (the family, the group's provider, the office): `position` with the place in the queue now, then again each time it changes; `left` when the application no longer waits",
        params: IdParams,
      },
      config: { overload: { maxInFlight: watch.maxWatchers, stream: true } },
      handlerTimeout: STREAM_HANDLER_TIMEOUT_MS,
    },
    async (request, reply) => {
      const actor = requireActor(request);
      const id = request.params.id;
      const language = familyLanguageOf(request);
      const deps = { pool, queues, positions, log: request.log };
      // Subscribed before the first answer is read: a change made meanwhile is heard, not lost.
      await watch.ready();
      // The first answer as the lookup gives it: refusals and a missing application are problems.
      const first = positionFor(actor, await readPosition(deps, actor, id, clock()), language);

      const stream = new PassThrough();
      let last = "";
      let ended = false;
      const send = (event: string, data: object) => stream.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      const sendPosition = (position: typeof first) => {
        // `source` says which store answered; the family's place is the rest.
        const { source: _source, ...place } = position;
        const text = JSON.stringify(place);
        if (text === last) return;
        last = text;
        send("position", position);
      };
      const finish = () => {
        if (ended) return;
        ended = true;
        open.delete(finish);
        streams.delete(stream);
        unwatch();
        stream.end();
      };
      const unwatch = watch.watch(first.groupId, {
        refresh: async () => {
          if (ended) return;
          try {
            sendPosition(positionFor(actor, await readPosition(deps, actor, id, clock()), language));
          } catch (error) {
            if (!isDomainError(error)) {
              // Neither Redis nor Postgres answered: the next change asks again.
              request.log.warn({ err: error }, "position stream could not read the position");
              return;
            }
            // No longer waiting (APPLICATION_NOT_IN_QUEUE), or no longer the reader's: the page reloads to say what happened.
            send("left", { code: error.code });
            finish();
          }
        },
      });
      open.add(finish);
      streams.add(stream);
      request.raw.on("close", finish);
      stream.on("close", finish);
      stream.write(`retry: ${RETRY_MS}\n\n`);
      sendPosition(first);
      return reply.header("content-type", "text/event-stream; charset=utf-8").header("cache-control", "no-store").header("x-accel-buffering", "no").send(stream);
    },
  );
};
