import { LogController, type FastifyReply, type FastifyRequest } from "fastify";

/** The route template a request matched ("unmatched" when none did): never the raw URL, whose ids would make a series or a field value per resource. */
export function routeOf(request: FastifyRequest): string {
  return request.is404 ? "unmatched" : (request.routeOptions.url ?? "unmatched");
}

/** The path of a request's URL, without its query string. */
function pathOf(url: string): string {
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

/** What both lines say of a request: method, route template, path without the query, the caller's role. */
function requestFields(request: FastifyRequest): { method: string; route: string; path: string; role: string | undefined } {
  return { method: request.method, route: routeOf(request), path: pathOf(request.url), role: request.actor?.role };
}

/**
 * One access line per request, written when it ends: `request completed` with its request id
 * (the child logger's binding), method, route template, path, status, the caller's role, and
 * milliseconds. Fastify's own controller writes two (`incoming request` and `request completed`),
 * each through its request and reply serializers: at `info`, the level services run at, a
 * position lookup cost 177-188 µs of CPU with those two and 139-141 µs with this one in
 * alternating runs (BENCHMARKS.md); this one line carries what both said. A request that never
 * ends still leaves a line: the handler's timeout ends it with a problem (and this line), and one
 * its client gave up on is told by `logAbort`.
 *
 * The query string is left out: search words and filters are what a family typed, and a path
 * holds ids only. Failures keep Fastify's `request errored` line with the error.
 */
export class AccessLog extends LogController {
  constructor() {
    super({ requestIdLogLabel: "requestId" });
  }

  override incomingRequest(): void {
    // Said at the end, in the one line (above).
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) {
      super.requestCompleted(error, request, reply);
      return;
    }
    reply.log.info({ ...requestFields(request), status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, "request completed");
  }
}

/** The line of a request its client closed before the answer (Fastify's onRequestAbort). */
export function logAbort(request: FastifyRequest): void {
  request.log.info(requestFields(request), "request aborted by the client");
}
