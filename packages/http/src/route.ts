import type { FastifyInstance, FastifyRequest } from "fastify";

type RouteOptions = FastifyRequest["routeOptions"];

/** The request's field holding its route's options, read once (see `routeOptionsOf`). */
const ROUTE = "routeRead";

declare module "fastify" {
  interface FastifyRequest {
    [ROUTE]: RouteOptions | null;
  }
}

/**
 * The options of the route a request matched (its template, config, schema), read once per
 * request. Fastify's `request.routeOptions` is a getter that builds a new object of a dozen
 * fields at every read, and the kit's hooks read it six or seven times a request (headers, auth,
 * overload, rate limit, histogram, access line). The app's first hook keeps its read (`rememberRoute`).
 */
export function routeOptionsOf(request: FastifyRequest): RouteOptions {
  return request[ROUTE] ?? request.routeOptions;
}

/** Gives every request the field `rememberRoute` fills; before the first request. */
export function decorateRoute(app: FastifyInstance): void {
  app.decorateRequest(ROUTE, null);
}

/** Reads the request's route options and keeps them for `routeOptionsOf`: in the app's first hook. */
export function rememberRoute(request: FastifyRequest): RouteOptions {
  return (request[ROUTE] = request.routeOptions);
}
