import type { FastifyInstance } from "fastify";
import { histogram, type Registry } from "@kruzhok/observability";
import { httpProblem, occurrenceOf, sendProblem } from "./problems";
import { routeOf } from "./access-log";

/** One dependency `/readyz` asks about; `check` rejects (or hangs) when it cannot serve. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

export interface HealthOptions {
  checks: readonly ReadinessCheck[];
  /** Per check; a hung dependency must not hang the probe. */
  timeoutMs: number;
  metrics: Registry;
  /** The text /metrics serves; the registry's own by default (a cluster worker's sums all workers). */
  metricsText?: () => Promise<string>;
}

// Keyed by the instance buildApp returned: the readiness route reads it, shutdown sets it.
const draining = new WeakSet<FastifyInstance>();

/** From now on `/readyz` answers 503, so load balancers stop sending new requests. */
export function markDraining(app: FastifyInstance): void {
  draining.add(app);
}

export function isDraining(app: FastifyInstance): boolean {
  return draining.has(app);
}

async function failureOf({ check }: ReadinessCheck, timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`timed out after ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([check().then(() => undefined), timeout]);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}

const infrastructureRoute = { config: { public: true, rateLimit: false }, schema: { hide: true } } as const;

/** `/livez`, `/readyz`, `/metrics`, and the request duration histogram. */
export function registerHealth(app: FastifyInstance, options: HealthOptions): void {
  const duration = histogram(options.metrics, {
    name: "http_request_duration_seconds",
    help: "Time from request received to response sent",
    labelNames: ["method", "route", "status"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  // Each series' child, found once (bounded by routes × methods × statuses): `labels()` makes
  // and checks the label object only then. Its `observe` still validates and hashes the labels
  // at every call (prom-client's child does): 1.5 % of a position lookup's CPU (BENCHMARKS.md).
  const series = new Map<string, { observe(value: number): void }>();
  app.addHook("onResponse", (request, reply, done) => {
    const route = routeOf(request);
    const key = `${request.method} ${reply.statusCode} ${route}`;
    let child = series.get(key);
    if (!child) {
      child = duration.labels({ method: request.method, route, status: reply.statusCode });
      series.set(key, child);
    }
    child.observe(reply.elapsedTime / 1000);
    done();
  });

  // Liveness touches nothing: a database outage must not make the orchestrator restart us.
  app.get("/livez", infrastructureRoute, (_request, reply) => reply.send({ status: "live" }));

  app.get("/readyz", infrastructureRoute, async (request, reply) => {
    if (isDraining(app)) return sendProblem(reply, httpProblem("HTTP.NOT_READY", "shutting down", occurrenceOf(request)));
    const results = await Promise.all(
      options.checks.map(async (check) => ({ name: check.name, failure: await failureOf(check, options.timeoutMs) })),
    );
    const failed = results.filter((result) => result.failure !== undefined);
    if (failed.length > 0) {
      // The reasons go to the log; the response names the dependency only, not its address.
      request.log.warn({ failed }, "not ready");
      const detail = `not ready: ${failed.map((result) => result.name).join(", ")}`;
      return sendProblem(reply, httpProblem("HTTP.NOT_READY", detail, occurrenceOf(request)));
    }
    return { status: "ready", checks: Object.fromEntries(results.map((result) => [result.name, "ok"])) };
  });

  app.get("/metrics", infrastructureRoute, async (_request, reply) => {
    const text = await (options.metricsText ?? (() => options.metrics.metrics()))();
    return reply.header("content-type", options.metrics.contentType).send(text);
  });
}
