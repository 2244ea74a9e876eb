import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from "fastify";
import { infoLine, type Logger } from "@kruzhok/observability";
import { routeOptionsOf } from "./route";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Which of the route's access lines are written (`AccessSample`); without it, every one. */
    accessSample?: AccessSample;
  }
}

/**
 * Which access lines of a route are written: every refusal, failure and answer slower than
 * `slowMs`, and one in `oneIn` of its successful, quick answers (the first, then every
 * `oneIn`-th), which carries `sampledOneIn` so that counts drawn from the log multiply it back.
 * For a route families poll, such as a position lookup on opening day: there each line (its
 * text, and its batch's write into the pipe of standard output, off the request thread, where
 * profiles of that thread did not see it) cost a quarter of a lookup's CPU in a closed loop
 * (BENCHMARKS.md), and a line per poll says nothing the duration histogram, which counts every
 * request, does not. Per process: each worker samples its own.
 */
export class AccessSample {
  private seen = 0;

  constructor(
    readonly oneIn: number,
    readonly slowMs: number,
  ) {
    if (!Number.isInteger(oneIn) || oneIn < 1) throw new RangeError(`an access sample is one line in a whole number of at least 1, not ${oneIn}`);
    if (!(slowMs >= 0)) throw new RangeError(`an access sample's slow answer is a number of milliseconds of at least 0, not ${slowMs}`);
  }

  /** What the line of an answer stands for: 0 when it is left out, `oneIn` when it is a sample, 1 when it is written whatever the sample. */
  weight(status: number, ms: number): number {
    if (this.oneIn === 1 || status >= 400 || ms >= this.slowMs) return 1;
    return this.seen++ % this.oneIn === 0 ? this.oneIn : 0;
  }
}

/** The route template a request matched ("unmatched" when none did): never the raw URL, whose ids would make a series or a field value per resource. */
export function routeOf(request: FastifyRequest): string {
  return request.is404 ? "unmatched" : (routeOptionsOf(request).url ?? "unmatched");
}

/** The path of a request's URL, without its query string. */
function pathOf(url: string): string {
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

/** The label of the request id in every line of a request (its logger's binding, the access line's field). */
const REQUEST_ID = "requestId";

/** What both lines say of a request: its id, method, route template, path without the query, the caller's role. */
function requestFields(request: FastifyRequest): { requestId: string; method: string; route: string; path: string; role: string | undefined } {
  return { requestId: request.id, method: request.method, route: routeOf(request), path: pathOf(request.url), role: request.actor?.role };
}

/**
 * One access line per request, written when it ends: `request completed` with its request id,
 * method, route template, path, status, the caller's role, and milliseconds. Fastify's own
 * controller writes two (`incoming request` and `request completed`), each through its request
 * and reply serializers: at `info`, the level services run at, a position lookup cost 177-188 µs
 * of CPU with those two and 139-141 µs with this one in alternating runs (BENCHMARKS.md); this
 * one line carries what both said. It is written by `infoLine`, past pino's general path, and
 * from the app's logger with the request id as a field, so that a request that logs nothing else
 * never makes its child logger (`lazyRequestLogger`). A request that never ends still leaves a
 * line: the handler's timeout ends it with a problem (and this line), and one its client gave up
 * on is told by `abort`.
 *
 * A route may write only a sample of its successful, quick answers' lines (`AccessSample`).
 *
 * The query string is left out: search words and filters are what a family typed, and a path
 * holds ids only. Failures keep Fastify's `request errored` line with the error.
 */
export class AccessLog extends LogController {
  private readonly completed;
  private readonly aborted;

  constructor(logger: Logger) {
    super({ requestIdLogLabel: REQUEST_ID });
    const keys = [REQUEST_ID, "method", "route", "path", "status", "role", "ms", "sampledOneIn"] as const;
    this.completed = infoLine(logger, keys, "request completed");
    this.aborted = infoLine(logger, keys, "request aborted by the client");
  }

  override incomingRequest(): void {
    // Said at the end, in the one line (above).
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) {
      super.requestCompleted(error, request, reply);
      return;
    }
    const ms = reply.elapsedTime;
    const weight = routeOptionsOf(request).config.accessSample?.weight(reply.statusCode, ms) ?? 1;
    if (weight === 0) return;
    this.completed({ ...requestFields(request), status: reply.statusCode, ms: Math.round(ms * 10) / 10, sampledOneIn: weight > 1 ? weight : undefined });
  }

  /** The line of a request its client closed before the answer (Fastify's onRequestAbort). */
  abort(request: FastifyRequest): void {
    this.aborted({ ...requestFields(request), status: undefined, ms: undefined, sampledOneIn: undefined });
  }
}

type Bindings = Parameters<FastifyBaseLogger["child"]>[0];
type ChildLoggerOptions = NonNullable<Parameters<FastifyBaseLogger["child"]>[1]>;
type Level = "fatal" | "error" | "warn" | "info" | "debug" | "trace";

/**
 * A request's logger that becomes pino's child (with the request id bound) only when something
 * logs through it at an enabled level. Fastify makes the child for every request, before any
 * hook, and most requests never use it (their one line is the access line): making it, and
 * redacting its bindings, was ~2 % of a position lookup's CPU (BENCHMARKS.md).
 */
class LazyRequestLogger implements FastifyBaseLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
  ) {}

  private get real(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings));
  }

  get level(): string {
    return this.made?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.real.level = level;
  }

  // Methods of the class, not a closure per method and request.
  private write(level: Level, args: unknown[]): void {
    if (this.made === undefined && !this.parent.isLevelEnabled(level)) return;
    const logger = this.real;
    Reflect.apply(logger[level], logger, args);
  }

  fatal(...args: unknown[]): void {
    this.write("fatal", args);
  }
  error(...args: unknown[]): void {
    this.write("error", args);
  }
  warn(...args: unknown[]): void {
    this.write("warn", args);
  }
  info(...args: unknown[]): void {
    this.write("info", args);
  }
  debug(...args: unknown[]): void {
    this.write("debug", args);
  }
  trace(...args: unknown[]): void {
    this.write("trace", args);
  }
  silent(): void {
    // pino's `silent` level writes nothing.
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real.child(bindings, options);
  }
}

/**
 * Fastify's `childLoggerFactory`: a request's logger made only when used (`LazyRequestLogger`).
 * A route with its own level or serializers gets pino's child at once, as Fastify's would.
 */
export function lazyRequestLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  if (options.level !== undefined || options.serializers !== undefined) return logger.child(bindings, options);
  return new LazyRequestLogger(logger as Logger, bindings);
}
