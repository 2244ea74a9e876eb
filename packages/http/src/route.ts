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

/** The methods that change something: the only ones the kit's input and idempotency checks apply to. */
export const WRITE_METHODS: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH", "DELETE"]);

type RouteHookName = "preValidation" | "preHandler" | "onSend";

/**
 * Run `hook` on every route with a write method registered from now on (its own hooks of that
 * kind after it, as after an app-wide hook), and on no read. An app-wide hook ran on every read
 * too, only to see the method and pass: Fastify skips a kind of hook altogether on a route with
 * none of it, so a position lookup runs neither this hook nor the hook runner around it. The
 * hook still checks the method itself where a route takes both kinds.
 */
export function onWriteRoutes(app: FastifyInstance, name: RouteHookName, hook: (...args: never[]) => unknown): void {
  app.addHook("onRoute", (route) => {
    if (![route.method].flat().some((method) => WRITE_METHODS.has(method))) return;
    const own: unknown = route[name];
    const existing: readonly unknown[] = own === undefined ? [] : Array.isArray(own) ? (own as unknown[]) : [own];
    (route as Record<RouteHookName, unknown>)[name] = [hook, ...existing];
  });
}
