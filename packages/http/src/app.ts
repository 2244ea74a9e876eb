import { randomUUID } from "node:crypto";
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { BlockList, isIP } from "node:net";
import fastifyCors from "@fastify/cors";
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import { completeOpenApi } from "./openapi";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, type RawServerDefault } from "fastify";
import {
  createJsonSchemaTransform,
  createJsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import helmet, { type HelmetOptions } from "helmet";
import type { Redis } from "ioredis";
import { isDomainError } from "@kruzhok/errors";
import { OutageLog, createMetricsRegistry, type Logger, type Outage, type Registry } from "@kruzhok/observability";
import { AccessLog, lazyRequestLogger } from "./access-log";
import { bearerToken, createTokenVerifier, missingToken, type AuthConfig } from "./auth";
import { registerHealth, type ReadinessCheck } from "./health";
import { markAnsweredEarly, markNotFinal, registerIdempotency, type IdempotencyOptions } from "./idempotency";
import { registerOverload, type OverloadOptions } from "./overload";
import { registerRateLimit, SharedCounts } from "./rate-limit";
import { HttpErrorCodes, HttpProblem, PROBLEM_CONTENT_TYPE, httpProblem, occurrenceOf, sendProblem, toProblem, type HttpErrorCode } from "./problems";
import { registerInputText } from "./text";
import { decorateRoute, rememberRoute, routeOptionsOf } from "./route";

/** The app every service builds on: Fastify with zod schemas for validation, types and docs. */
export type HttpApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export interface RateLimitOptions {
  /** Requests per window per subject (or per IP without a token). */
  max: number;
  timeWindowMs?: number;
  /** How often what this process counted goes to Redis (`SharedCounts`); 100 ms by default. */
  batchMs?: number;
}

export interface AppOptions {
  service: string;
  /** From `createLogger`: redaction comes with it. */
  logger: Logger;
  /** Shown in the OpenAPI document. */
  version: string;
  auth: AuthConfig;
  /** Bytes; larger bodies get 413. Default 1 MiB. */
  bodyLimit?: number;
  /**
   * Time limits (ms) of the HTTP edge, so that nothing waits for ever:
   * - `handler`: a request not answered this long after it arrived gets 503 HTTP.TIMEOUT with
   *   Retry-After (Fastify's handlerTimeout; its Idempotency-Key stays claimed until its lease
   *   ends, since the work may still finish). Default 60 s.
   * - `request`: the whole request (headers and body) must arrive within it, or the connection
   *   gets 408 and is closed (slow senders hold no socket for ever). Default 30 s.
   * - `connection`: a socket with nothing happening on it this long is closed. Default 120 s.
   */
  timeouts?: { handlerMs?: number; requestMs?: number; connectionMs?: number };
  /** Browser origins allowed by CORS; none by default. */
  corsOrigins?: readonly string[];
  readiness?: readonly ReadinessCheck[];
  /** Per readiness check. Default 2 s. */
  readinessTimeoutMs?: number;
  /** Shared with the rest of the process; a fresh one otherwise. */
  metrics?: Registry;
  /** What /metrics serves, when not `metrics` alone (the sum of all workers of a clustered service). */
  metricsText?: () => Promise<string>;
  /**
   * Rate limit counters live here when given (shared by replicas); else in process memory. While
   * it fails or hangs (the client's commandTimeout), requests are let through uncounted.
   */
  redis?: Redis;
  /** Tells of Redis outages in one line each (the process's tracker of its Redis); one of the app's own otherwise. */
  redisOutage?: Outage;
  rateLimit?: RateLimitOptions;
  /** Enables `Idempotency-Key` for POST; run `httpMigrations` on this pool first. */
  idempotency?: IdempotencyOptions;
  /** What the OpenAPI document says beyond the routes: the local stack's port, a sentence per tag. */
  openapi?: { port?: number; tags?: Readonly<Record<string, string>> };
  /**
   * The proxies in front (Fastify's `trustProxy`): a hop count, or their addresses and CIDR
   * ranges. From them alone X-Forwarded-For names the client, whose address the rate limit and
   * `access` go by; without it the header is ignored and the peer is the client. Never `true`:
   * any client could then choose its address.
   */
  trustProxy?: number | readonly string[];
  /**
   * Who may read /metrics and /docs (with Swagger UI): client addresses, CIDR ranges or
   * `loopback`; others get 403 HTTP.ADDRESS_NOT_ALLOWED. Open when unset.
   */
  access?: { metrics?: readonly string[]; docs?: readonly string[] };
  /**
   * What the app answers with, for its security headers: `api` (JSON; `API_SECURITY_HEADERS`,
   * the default) or `pages` (HTML for browsers: helmet's defaults).
   */
  answers?: "api" | "pages";
  /**
   * Load shedding for the whole app (503 with Retry-After past the budget). Routes may also set
   * their own in-flight budget with `config: { overload: { maxInFlight } }`, with or without this.
   */
  overload?: OverloadOptions;
}

const DOCS_PREFIX = "/docs";

/** A refused request's unread body is read and dropped up to this many bytes (and this long) before the answer. */
const DISCARD_MAX_BYTES = 32 * 1024 * 1024;
const DISCARD_MAX_MS = 10_000;

/**
 * Read and drop what is left of a request's body before answering it. A refusal sent while the
 * client is still sending (413 for a body over the limit, decided from Content-Length or partway
 * through; 401 before the body is parsed) is followed by the connection's close when the client
 * asked for it (`Connection: close`): the socket was destroyed under bytes still arriving, the
 * client's next write failed with EPIPE or ECONNRESET, and it lost the answer (7 in 100 such
 * clients against a service process). Once the body is in, the client reads the answer. Beyond
 * `DISCARD_MAX_BYTES` or `DISCARD_MAX_MS` the answer goes anyway.
 */
function discardUnreadBody(raw: IncomingMessage): Promise<void> {
  if (raw.complete || raw.destroyed || raw.readableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const done = () => {
      clearTimeout(timer);
      raw.off("data", onData);
      raw.off("end", done);
      raw.off("close", done);
      raw.off("error", done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > DISCARD_MAX_BYTES) done();
    };
    const timer = setTimeout(done, DISCARD_MAX_MS);
    raw.on("data", onData);
    raw.once("end", done);
    raw.once("close", done);
    raw.once("error", done);
    raw.resume();
  });
}

/**
 * The answer to a request Node could not take at all (it timed out before it arrived whole, its
 * headers overflowed, it is not HTTP): a problem document like every other refusal, then the
 * connection is closed, since what comes next on it cannot be told apart from the rest of this
 * one. No request id: there was no request.
 */
function clientErrorHandler(this: FastifyInstance, error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const [code, detail]: [HttpErrorCode, string] =
    error.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? ["HTTP.REQUEST_TIMEOUT", "The request did not arrive whole within the time limit; send it again, all at once"]
      : error.code === "HPE_HEADER_OVERFLOW"
        ? ["HTTP.HEADERS_TOO_LARGE", "The request's headers exceed 16 KiB; send fewer or shorter headers"]
        : ["HTTP.BAD_REQUEST", "The request is not valid HTTP/1.1"];
  const { status, title } = HttpErrorCodes[code];
  const body = JSON.stringify({ type: `urn:kruzhok:problem:${code}`, title, status, detail, code });
  this.log.debug({ err: error, code }, "client error");
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/**
 * The router's own refusals (a path segment over maxParamLength: 414; a malformed percent-encoding:
 * 400), which Fastify answers before any hook or the error handler, with plain JSON unless told:
 * a problem document with its stable code, like every other refusal.
 */
function frameworkErrors(error: Error, request: FastifyRequest, reply: FastifyReply): void {
  const problem = toProblem(error, occurrenceOf(request));
  reply.headers(API_SECURITY_HEADERS).header("x-request-id", request.id);
  if (problem.internal) request.log.error({ err: error }, "request failed");
  else request.log.info({ code: problem.body.code, status: problem.body.status }, "request refused");
  void sendProblem(reply, problem);
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

function requestIdOf(request: IncomingMessage): string {
  const incoming = request.headers["x-request-id"];
  // A caller's id is kept for correlation only when it is short and plain: it goes into logs.
  return typeof incoming === "string" && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

// Swagger UI runs inline scripts and styles; pages keep helmet's strict defaults.
const docsHelmet: HelmetOptions = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'", "'unsafe-inline'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", "data:", "https:"],
      upgradeInsecureRequests: null,
    },
  },
};

/**
 * The headers helmet sets with `options`, worked out once. Its middleware (and @fastify/helmet
 * around it) builds them anew for every request, a few per cent of a cheap request's CPU; with
 * no per-request nonces they never change.
 */
export function securityHeaders(options?: HelmetOptions): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  let failure: unknown;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    failure = error;
  });
  if (failure instanceof Error) throw failure;
  if (failure !== undefined) throw new Error("helmet refused its options", { cause: failure });
  return Object.freeze(headers);
}

/**
 * The security headers of a JSON API's answers, after OWASP's REST Security Cheat Sheet: not
 * stored by any cache (positions, applications and registers are personal data; helmet's set has
 * no Cache-Control at all), never framed, never sniffed into another type, HTTPS only, and no
 * content allowed to load or run should a browser render an answer. Helmet's page set (13
 * headers, most of them for HTML: X-DNS-Prefetch-Control, X-Download-Options, Origin-Agent-Cluster…)
 * went out with every answer, each header set, validated and written per request, and read by the
 * client. A route that may be cached says so itself (`reply.header("cache-control", …)`).
 */
const API_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "cache-control": "no-store",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "cross-origin-resource-policy": "same-origin",
  "strict-transport-security": "max-age=31536000; includeSubDomains",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
});

/** The headers of HTML pages (the portal's): helmet's defaults; a page sets its own CSP on top. */
const pageHeaders = securityHeaders();

const METRICS_URL = "/metrics";

/**
 * The handler timeout of a route whose response is a live stream (Server-Sent Events): the
 * longest a timer can wait. The app's own (`timeouts.handlerMs`, 60 s) counts until the response
 * ends, so it cut every stream after a minute (a browser reconnected; a benchmark's subscribers
 * silently stopped hearing). A stream ends when its reader leaves or the app closes.
 */
export const STREAM_HANDLER_TIMEOUT_MS = 2_147_483_647;

/** IPv4 as IPv6 (`::ffff:10.1.2.3`, what a dual-stack socket reports) as the IPv4 address it is. */
const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/**
 * Whether a client address is in `entries` (addresses, CIDR ranges, `loopback`), as the config
 * parsed them (packages/config). A malformed entry throws here, at build time.
 */
export function addressMatcher(entries: readonly string[]): (address: string) => boolean {
  const allowed = new BlockList();
  for (const entry of entries) {
    if (entry === "loopback") {
      allowed.addSubnet("127.0.0.0", 8, "ipv4");
      allowed.addAddress("::1", "ipv6");
      continue;
    }
    const [address = "", prefix] = entry.split("/");
    const family = isIP(address) === 6 ? "ipv6" : "ipv4";
    if (prefix === undefined) allowed.addAddress(address, family);
    else allowed.addSubnet(address, Number(prefix), family);
  }
  return (address) => {
    const plain = IPV4_MAPPED.exec(address)?.[1] ?? address;
    const family = isIP(plain);
    return family !== 0 && allowed.check(plain, family === 6 ? "ipv6" : "ipv4");
  };
}

/** Fastify's own reading of a hop count (its types take only the function): the socket's peer is hop 0. */
function trustProxyOf(trust: AppOptions["trustProxy"]): false | string[] | ((address: string, hop: number) => boolean) {
  if (trust === undefined) return false;
  if (typeof trust === "number") return (_address, hop) => hop < trust;
  return [...trust];
}

/** A route as the app registered it: what the tenancy matrix (test/tenancy) checks its table against. */
export interface RegisteredRoute {
  method: string;
  url: string;
  /** Answers without a token (`config: { public: true }`, the docs, CORS preflights). */
  public: boolean;
}

const registeredRoutes = new WeakMap<object, RegisteredRoute[]>();

/**
 * Every route `buildApp`'s app has registered so far, in order of registration: the kit's own
 * (health, metrics, docs) and the service's. The HEAD twin Fastify adds to each GET is left
 * out, and so is OPTIONS (CORS preflights). Empty for an app the kit did not build.
 */
export function routesOf(app: object): readonly RegisteredRoute[] {
  const routes = registeredRoutes.get(app) ?? [];
  const gets = new Set(routes.filter((route) => route.method === "GET").map((route) => route.url));
  return routes.filter((route) => route.method !== "OPTIONS" && !(route.method === "HEAD" && gets.has(route.url)));
}

const isDocsUrl = (url: string | undefined) => url !== undefined && (url === DOCS_PREFIX || url.startsWith(`${DOCS_PREFIX}/`));

/**
 * Build (never listen) the Fastify app: request ids, helmet, CORS, bearer auth, rate limit,
 * problem documents for every error, OpenAPI 3.1 at /docs/json with Swagger UI at /docs,
 * /livez, /readyz, /metrics, and `Idempotency-Key` when a pool is given. Routes are public
 * only with `config: { public: true }`.
 */
export async function buildApp(options: AppOptions): Promise<HttpApp> {
  // pino's Logger is a FastifyBaseLogger; typing it as such keeps HttpApp compatible with
  // route plugins typed against Fastify's default logger.
  const loggerInstance: FastifyBaseLogger = options.logger;
  const requestTimeout = options.timeouts?.requestMs ?? 30_000;
  const accessLog = new AccessLog(options.logger);
  const app = Fastify({
    loggerInstance,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    handlerTimeout: options.timeouts?.handlerMs ?? 60_000,
    requestTimeout,
    // Node checks the request timeout only every connectionsCheckingInterval (30 s by default),
    // so a short limit would be kept loosely; the headers get no longer than the whole request.
    http: { connectionsCheckingInterval: Math.min(5_000, Math.max(100, Math.floor(requestTimeout / 4))), headersTimeout: Math.min(60_000, requestTimeout) },
    connectionTimeout: options.timeouts?.connectionMs ?? 120_000,
    genReqId: requestIdOf,
    clientErrorHandler,
    frameworkErrors,
    logController: accessLog,
    childLoggerFactory: lazyRequestLogger,
    trustProxy: trustProxyOf(options.trustProxy),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.setErrorHandler(async (error, request, reply) => {
    const problem = toProblem(error, occurrenceOf(request));
    // Refused before its body was read (too large, a bad token): read the rest first (bounded).
    await discardUnreadBody(request.raw);
    if (problem.body.code === "HTTP.TIMEOUT") markAnsweredEarly(request);
    if (isDomainError(error) && error.details.awaitingNews === true) markNotFinal(request);
    if (problem.internal) request.log.error({ err: error }, "request failed");
    else {
      // Names of the wrong fields, never their values: those may be personal.
      const fields = problem.body.invalidParams?.map((param) => param.name);
      request.log.info({ code: problem.body.code, status: problem.body.status, fields }, "request refused");
    }
    return sendProblem(reply, problem);
  });

  // Before any plugin adds routes, so that Swagger UI's routes and CORS preflights are seen too.
  app.addHook("onRoute", (route) => {
    if (isDocsUrl(route.url) || route.method === "OPTIONS") route.config = { ...route.config, public: true };
    if (route.config?.public) route.schema = { ...route.schema, security: [] };
  });
  // What routes exist, for tests that must cover each one (routesOf).
  const routes: RegisteredRoute[] = [];
  registeredRoutes.set(app, routes);
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, public: route.config?.public === true });
  });

  const docsHeaders = securityHeaders(docsHelmet);
  const answerHeaders = options.answers === "pages" ? pageHeaders : API_SECURITY_HEADERS;
  const metricsReaders = options.access?.metrics && addressMatcher(options.access.metrics);
  const docsReaders = options.access?.docs && addressMatcher(options.access.docs);
  decorateRoute(app);
  // The app's first hook: every later one reads the route's options from here (routeOptionsOf).
  app.addHook("onRequest", (request, reply, done) => {
    const { url } = rememberRoute(request);
    const docs = isDocsUrl(url);
    reply.headers(docs ? docsHeaders : answerHeaders);
    reply.header("x-request-id", request.id);
    const readers = docs ? docsReaders : url === METRICS_URL ? metricsReaders : undefined;
    if (readers && !readers(request.ip)) {
      done(new HttpProblem("HTTP.ADDRESS_NOT_ALLOWED", `${docs ? DOCS_PREFIX : METRICS_URL} is not served to this client address`));
      return;
    }
    done();
  });

  app.addHook("onRequestAbort", (request, done) => {
    accessLog.abort(request);
    done();
  });

  // Before authentication: a refusal for overload must cost less than the work it sheds.
  registerOverload(app, options.overload);

  // Without origins, no browser may call across origins and nothing is registered: the plugin
  // would still resolve the (refused) origin of every request, a measurable share of a cheap
  // request's CPU (BENCHMARKS.md).
  if (options.corsOrigins && options.corsOrigins.length > 0) {
    await app.register(fastifyCors, {
      origin: [...options.corsOrigins],
      methods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
      allowedHeaders: ["authorization", "content-type", "idempotency-key", "x-request-id"],
      exposedHeaders: ["x-request-id", "retry-after", "idempotent-replayed", "location"],
    });
  }

  // Authentication is split in two: the token is checked on request, so the rate limit (a
  // route onRequest hook, run after these) can key by subject, but a bad token is refused only
  // at preParsing, after the limit counted it by IP: token guessing is throttled too.
  const verify = createTokenVerifier(options.auth);
  const refusals = new WeakMap<object, Error>();
  app.decorateRequest("actor", null);
  // A callback hook: a token in the verifier's cache (every request of a family after its
  // first) completes it at once, without the promise an async hook costs each request.
  app.addHook("onRequest", (request, _reply, done) => {
    const token = bearerToken(request);
    const isPublic = request.is404 || routeOptionsOf(request).config.public === true;
    if (!token) {
      if (!isPublic) refusals.set(request, missingToken());
      done();
      return;
    }
    const known = verify.cached(token);
    if (known) {
      request.actor = known;
      done();
      return;
    }
    verify(token).then(
      (actor) => {
        request.actor = actor;
        done();
      },
      (error: unknown) => {
        // A public route ignores a bad token (or an unreachable JWKS): its caller needs none.
        if (!isPublic) refusals.set(request, error instanceof Error ? error : new Error(String(error)));
        done();
      },
    );
  });
  app.addHook("preParsing", (request, _reply, payload, done) => {
    const refusal = refusals.get(request);
    if (refusal) done(refusal);
    else done(null, payload);
  });

  // Invisible characters, homoglyph words, huge strings, rounded numbers: refused on every write route.
  registerInputText(app);

  if (options.rateLimit) {
    // Counted in Redis (shared by replicas and workers), in batches between a subject's visits to
    // it (SharedCounts). Degrades open: a Redis that fails or hangs lets requests through
    // uncounted (one log line per outage) rather than answering every route with 500.
    // A limit counted in one process alone would let each worker and replica its own allowance.
    if (!options.redis) throw new Error("rateLimit needs redis: its counters are shared by every worker and replica");
    const counts = new SharedCounts(
      options.redis,
      options.redisOutage ?? new OutageLog({ dependency: "redis", logger: options.logger, meanwhile: "rate limiting is off (requests are let through uncounted)" }),
      options.rateLimit.batchMs,
    );
    app.addHook("onClose", () => counts.close());
    registerRateLimit(app, { max: options.rateLimit.max, windowMs: options.rateLimit.timeWindowMs ?? 60_000, counts, nameSpace: `${options.service}:rate-limit:` });
  }

  app.setNotFoundHandler((request, reply) => {
    const at = occurrenceOf(request);
    return sendProblem(reply, httpProblem("HTTP.NOT_FOUND", `No route ${request.method} ${at.instance}`, at));
  });

  const zodTransform = createJsonSchemaTransform({ skipList: [] });
  const zodTransformObject = createJsonSchemaTransformObject({});
  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: options.service, version: options.version },
      components: { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" } } },
      security: [{ bearerAuth: [] }],
    },
    // Public routes say so (`security: []`), so the document lists no 401 or 403 for them.
    transform: (input) => {
      const transformed = zodTransform(input);
      return input.route.config?.public === true ? { ...transformed, schema: { ...transformed.schema, security: [] } } : transformed;
    },
    transformObject: (input) =>
      completeOpenApi(zodTransformObject(input), {
        service: options.service,
        idempotency: options.idempotency !== undefined,
        ...(options.openapi?.port !== undefined && { port: options.openapi.port }),
        ...(options.openapi?.tags && { tags: options.openapi.tags }),
      }),
  });
  await app.register(fastifySwaggerUi, { routePrefix: DOCS_PREFIX });

  registerHealth(app, {
    checks: options.readiness ?? [],
    timeoutMs: options.readinessTimeoutMs ?? 2_000,
    metrics: options.metrics ?? createMetricsRegistry(options.service),
    ...(options.metricsText && { metricsText: options.metricsText }),
  });
  if (options.idempotency) registerIdempotency(app, options.idempotency);
  return app;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The request id as an event's correlation id. Events require a uuid; a caller's own
 * x-request-id that is not one is kept in logs, and the event starts a new correlation.
 */
export function correlationIdOf(request: { id: string }): string | undefined {
  return UUID.test(request.id) ? request.id : undefined;
}

/** What a service's app builder takes beside its own dependencies, passed on to buildApp. */
export type ServiceAppOptions = Pick<
  AppOptions,
  "logger" | "auth" | "metrics" | "metricsText" | "redis" | "redisOutage" | "readiness" | "rateLimit" | "corsOrigins" | "overload" | "trustProxy" | "access" | "timeouts"
>;
