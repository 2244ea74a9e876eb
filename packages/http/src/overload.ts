import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { HttpErrorCodes, PROBLEM_CONTENT_TYPE, occurrenceOf } from "./problems";
import { routeOptionsOf } from "./route";

/**
 * Load shedding: past its budget the service answers at once with 503 and `Retry-After`
 * rather than queueing the request behind hundreds of others (a queue a client gives up on long
 * before its answer comes, while the work for it still gets done).
 *
 * Two budgets, each checked when a request arrives, before its token is verified (a refusal
 * costs almost nothing):
 * - the whole app's (`AppOptions.overload`): requests in flight over every non-public route,
 *   and the event-loop delay;
 * - a route's own (`config: { overload: { maxInFlight } }`): a bulkhead for an expensive route,
 *   so that its crowd cannot take the service's every connection while cheap routes still
 *   answer. Requests over it wait nowhere: the budget is the queue.
 *
 * Public routes (health, docs) are never refused.
 */
export interface OverloadOptions {
  /** Requests in flight over all non-public routes; more get 503. Unlimited by default. */
  maxInFlight?: number;
  /** Event-loop delay (ms, sampled every `sampleMs`) above which new requests get 503. Off by default. */
  maxEventLoopDelayMs?: number;
  sampleMs?: number;
  /** Seconds a refused client is told to wait (`Retry-After`). Default 1. */
  retryAfterSeconds?: number;
}

/** A route's own budget, in its `config.overload`. */
export interface RouteOverload {
  maxInFlight: number;
  retryAfterSeconds?: number;
  /**
   * The route holds its response open for as long as the client listens (Server-Sent Events):
   * its requests count against this budget alone, not the app's `maxInFlight`, which they would
   * otherwise fill for hours, so that thousands of idle subscribers could not make the service
   * refuse every other request. The app's event-loop check still applies when one arrives.
   */
  stream?: boolean;
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** This route's own in-flight budget (see overload.ts). */
    overload?: RouteOverload;
  }
}

/** The request's field holding what it took of the budgets (see `registerOverload`). */
const HELD = "overloadHeld";
interface Holding {
  route: RouteOverload | undefined;
  global: boolean;
}
/** What most requests hold: a place in the app's budget, no route's. */
const HOLDS_GLOBAL: Holding = Object.freeze({ route: undefined, global: true });

declare module "fastify" {
  interface FastifyRequest {
    [HELD]: Holding | null;
  }
}

/** The refusal: rendered by hand (it answers before the error handler's hooks could run). */
const OVERLOADED = { code: "HTTP.OVERLOADED", ...HttpErrorCodes["HTTP.OVERLOADED"] } as const;

function refuse(request: FastifyRequest, reply: FastifyReply, retryAfterSeconds: number, detail: string): FastifyReply {
  const at = occurrenceOf(request);
  const language = at.language ?? "en";
  const body = {
    type: `urn:kruzhok:problem:${OVERLOADED.code}`,
    title: language === "en" ? OVERLOADED.title : OVERLOADED[language],
    status: OVERLOADED.status,
    detail: language === "en" ? detail : OVERLOADED[language],
    instance: at.instance,
    code: OVERLOADED.code,
    requestId: at.requestId,
  };
  return reply
    .code(OVERLOADED.status)
    .header("retry-after", String(retryAfterSeconds))
    .header("content-language", language)
    .header("vary", "Accept-Language")
    .header("content-type", PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(body));
}

/** Register the budgets' hooks; cheap when no budget is set (one property read per request). */
export function registerOverload(app: FastifyInstance, options: OverloadOptions = {}): void {
  const retryAfter = options.retryAfterSeconds ?? 1;
  const maxInFlight = options.maxInFlight ?? Number.POSITIVE_INFINITY;
  let inFlight = 0;
  const perRoute = new Map<RouteOverload, number>();
  // What each admitted request holds, released once (on response or on abort, whichever first):
  // a field of the request (decorated, so every request has the same shape), not a WeakMap,
  // whose entries cost each request more than the rest of this hook.
  app.decorateRequest(HELD, null);
  let delayMs = 0;
  let sampler: NodeJS.Timeout | undefined;
  if (options.maxEventLoopDelayMs !== undefined) {
    const every = options.sampleMs ?? 50;
    let expected = performance.now() + every;
    sampler = setInterval(() => {
      const now = performance.now();
      delayMs = Math.max(0, now - expected);
      expected = now + every;
    }, every);
    sampler.unref();
    app.addHook("onClose", async () => clearInterval(sampler));
  }
  const maxDelay = options.maxEventLoopDelayMs ?? Number.POSITIVE_INFINITY;

  // A callback hook, not an async one: a promise per request was most of what this hook cost.
  // A refusal is sent and `done` is not called, which ends the request's hooks there.
  app.addHook("onRequest", (request, reply, done) => {
    const config = routeOptionsOf(request).config;
    if (config.public === true || request.is404) return done();
    const route = config.overload;
    const global = route?.stream !== true;
    if (global && inFlight >= maxInFlight) return void refuse(request, reply, retryAfter, `${inFlight} requests are in progress; retry in ${retryAfter} s`);
    if (delayMs > maxDelay) return void refuse(request, reply, retryAfter, `the service is ${Math.round(delayMs)} ms behind; retry in ${retryAfter} s`);
    if (route) {
      const used = perRoute.get(route) ?? 0;
      const wait = route.retryAfterSeconds ?? retryAfter;
      if (used >= route.maxInFlight) return void refuse(request, reply, wait, `${used} requests of this kind are in progress; retry in ${wait} s`);
      perRoute.set(route, used + 1);
    }
    if (global) inFlight++;
    request[HELD] = route ? { route, global } : global ? HOLDS_GLOBAL : null;
    done();
  });

  const release = (request: FastifyRequest) => {
    const holding = request[HELD];
    if (!holding) return;
    request[HELD] = null;
    if (holding.global) inFlight--;
    const { route } = holding;
    if (route) perRoute.set(route, (perRoute.get(route) ?? 1) - 1);
  };
  app.addHook("onResponse", (request, _reply, done) => {
    release(request);
    done();
  });
  app.addHook("onRequestAbort", (request, done) => {
    release(request);
    done();
  });
}
