import type { FastifyReply, FastifyRequest } from "fastify";
import { ActorErrorCodes } from "@kruzhok/actor";
import type { InvalidParam, ProblemDocument } from "@kruzhok/contracts";
import { isDomainError, type DomainError, type ErrorCategory } from "@kruzhok/errors";
import { QueueFullError, isDatabaseUnavailable } from "@kruzhok/postgres";

/**
 * Where a domain error's field is in the request. `as-is`: the field names no part of the
 * request (the state a rule looked at), or a route's clients have always seen it bare.
 */
export type RequestPart = "body" | "query" | "params" | "headers" | "as-is";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * The request part of domain errors' fields, by the field's first segment, where it is not
     * the body: `{ childId: "params" }` makes a use case's `childId` the client's `params.childId`.
     */
    fieldsIn?: Readonly<Record<string, RequestPart>>;
  }
}

/**
 * The name a client sees for a domain error's field: use cases and rules name the command's
 * field (`childId`, `guardianIds.0`), the client the request's (`body.childId`). The body unless
 * the route's `fieldsIn` says otherwise.
 */
export function requestFieldOf(field: string, fieldsIn: Readonly<Record<string, RequestPart>> = {}): string {
  const part = fieldsIn[field.split(".", 1)[0] ?? field] ?? "body";
  return part === "as-is" ? field : `${part}.${field}`;
}

/**
 * The closed set of codes the HTTP layer itself answers with. Domain errors carry their own
 * codes (`ENROLLMENT.SEAT_TAKEN`); these are the ones no domain owns. Clients check `code`,
 * never `title` or `detail`.
 */
export const HttpErrorCodes = {
  "HTTP.VALIDATION": { status: 400, title: "The request does not match its schema" },
  "HTTP.MALFORMED_BODY": { status: 400, title: "The request body is not valid JSON" },
  /** Any other 4xx Fastify raises (bad Content-Length, …); the status is Fastify's. */
  "HTTP.BAD_REQUEST": { status: 400, title: "The request cannot be processed" },
  "HTTP.ADDRESS_NOT_ALLOWED": { status: 403, title: "Not served to this client address" },
  "HTTP.NOT_FOUND": { status: 404, title: "No such route" },
  "HTTP.REQUEST_TIMEOUT": { status: 408, title: "The request did not arrive whole in time" },
  "HTTP.IDEMPOTENCY_IN_PROGRESS": { status: 409, title: "A request with this Idempotency-Key is still running" },
  "HTTP.PAYLOAD_TOO_LARGE": { status: 413, title: "The request body is too large" },
  "HTTP.UNSUPPORTED_MEDIA_TYPE": { status: 415, title: "The content type is not supported" },
  "HTTP.IDEMPOTENCY_KEY_REUSED": { status: 422, title: "The Idempotency-Key was used for a different request" },
  "HTTP.RATE_LIMITED": { status: 429, title: "Too many requests" },
  "HTTP.HEADERS_TOO_LARGE": { status: 431, title: "The request's headers are too large" },
  "HTTP.INTERNAL": { status: 500, title: "Internal error" },
  "HTTP.NOT_READY": { status: 503, title: "The service is not ready" },
  "HTTP.OVERLOADED": { status: 503, title: "The service is overloaded; retry after the time given" },
  "HTTP.DATABASE_UNAVAILABLE": { status: 503, title: "The service's database is unavailable for a moment; retry after the time given" },
  "HTTP.QUEUE_FULL": { status: 503, title: "Too many requests of this kind are waiting; retry after the time given" },
  "HTTP.TIMEOUT": { status: 503, title: "The request took too long and was given up; retry after the time given" },
  "AUTH.UNAUTHENTICATED": { status: 401, title: "Authentication required" },
} as const satisfies Record<string, { status: number; title: string }>;
export type HttpErrorCode = keyof typeof HttpErrorCodes;

/**
 * Domain categories to statuses, once for the house.
 * - validation → 422: the body matched its schema (else 400 HTTP.VALIDATION) but a rule refused
 *   it, so clients can tell "fix the form" from "fix the request".
 * - illegal_state → 409: the request is fine, the resource's current state refuses it
 *   (RFC 9110 §15.5.10); retrying after the state changes may pass.
 */
export const categoryStatus: Record<ErrorCategory, { status: number; title: string }> = {
  validation: { status: 422, title: "A rule refused the request" },
  not_found: { status: 404, title: "Not found" },
  conflict: { status: 409, title: "Conflict" },
  forbidden: { status: 403, title: "Forbidden" },
  illegal_state: { status: 409, title: "Not allowed in the current state" },
  unauthorized: { status: 401, title: "Authentication required" },
};

/** An HTTP-layer refusal with a code from the closed table; the error handler renders it. */
export class HttpProblem extends Error {
  override readonly name = "HttpProblem";
  readonly status: number;
  constructor(
    readonly code: HttpErrorCode,
    detail: string,
    readonly extra: { invalidParams?: InvalidParam[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.status = HttpErrorCodes[code].status;
  }
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json; charset=utf-8";
export const BEARER_CHALLENGE = 'Bearer realm="kruzhok"';

/** What the error handler sends, and whether the cause is ours (logged as an error) or theirs. */
export interface Problem {
  body: ProblemDocument;
  headers: Record<string, string>;
  internal: boolean;
}

interface Occurrence {
  instance: string;
  requestId: string;
  /** The route's `fieldsIn`. */
  fieldsIn?: Readonly<Record<string, RequestPart>> | undefined;
}

function problem(
  code: string,
  status: number,
  title: string,
  detail: string,
  at: Occurrence,
  extra: { invalidParams?: InvalidParam[]; headers?: Record<string, string> } = {},
): Problem {
  const body: ProblemDocument = {
    type: `urn:kruzhok:problem:${code}`,
    title,
    status,
    detail,
    instance: at.instance,
    code,
    ...(extra.invalidParams?.length && { invalidParams: extra.invalidParams }),
    requestId: at.requestId,
  };
  return { body, headers: extra.headers ?? {}, internal: status >= 500 };
}

export function httpProblem(code: HttpErrorCode, detail: string, at: Occurrence, extra: HttpProblem["extra"] = {}): Problem {
  const { status, title } = HttpErrorCodes[code];
  return problem(code, status, title, detail, at, extra);
}

/** One schema failure as Fastify reports it (both zod via the type provider and ajv). */
interface SchemaIssue {
  keyword: string;
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}

const contextNames: Record<string, string> = { querystring: "query" };

/**
 * `body.child.birthDate` for each failed field. A strict object's unknown keys arrive as one
 * issue on the parent; each key becomes its own entry so the client sees every field named.
 */
export function invalidParamsOf(issues: readonly SchemaIssue[], context = "body"): InvalidParam[] {
  const root = contextNames[context] ?? context;
  const nameOf = (segments: readonly string[]) => [root, ...segments].join(".");
  return issues.flatMap((issue) => {
    const segments = issue.instancePath.split("/").filter((segment) => segment !== "");
    const unknownKeys = issue.params?.keys;
    if (issue.keyword === "unrecognized_keys" && Array.isArray(unknownKeys)) {
      return unknownKeys.map((key) => ({
        name: nameOf([...segments, String(key)]),
        reason: "is not a known field",
        rule: issue.keyword,
      }));
    }
    const extraProperty = issue.params?.additionalProperty;
    if (issue.keyword === "additionalProperties" && typeof extraProperty === "string") {
      return [{ name: nameOf([...segments, extraProperty]), reason: "is not a known field", rule: issue.keyword }];
    }
    return [{ name: nameOf(segments), reason: issue.message ?? "is invalid", rule: issue.keyword }];
  });
}

interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
  validation?: unknown;
  validationContext?: unknown;
}

/** Seconds a client is told to wait when the database is unavailable (a restart takes a few). */
const RETRY_AFTER_S = 2;

/** Map anything thrown while handling a request to the problem document the client gets. */
export function toProblem(error: unknown, at: Occurrence): Problem {
  if (error instanceof HttpProblem) return httpProblem(error.code, error.message, at, error.extra);
  if (isDomainError(error)) {
    const { status } = categoryStatus[error.category];
    const field = error.details.field;
    return problem(error.code, status, titleOf(error), error.message, at, {
      invalidParams: field ? [{ name: requestFieldOf(field, at.fieldsIn), reason: error.message, rule: error.code }] : undefined,
      headers: error.category === "unauthorized" ? { "www-authenticate": BEARER_CHALLENGE } : undefined,
    });
  }
  const fastifyError = (typeof error === "object" && error !== null ? error : {}) as FastifyLikeError;
  if (Array.isArray(fastifyError.validation)) {
    const context = typeof fastifyError.validationContext === "string" ? fastifyError.validationContext : "body";
    const invalidParams = invalidParamsOf(fastifyError.validation as SchemaIssue[], context);
    return httpProblem("HTTP.VALIDATION", `${invalidParams.length} field(s) are invalid`, at, { invalidParams });
  }
  switch (fastifyError.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return httpProblem("HTTP.PAYLOAD_TOO_LARGE", "The request body exceeds the size limit", at);
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return httpProblem("HTTP.MALFORMED_BODY", "The body must be a JSON document", at);
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return httpProblem("HTTP.UNSUPPORTED_MEDIA_TYPE", "Send application/json", at);
  }
  // Our dependency failed, not the request: the client is told to come back (with its
  // Idempotency-Key, a retry cannot do the work twice). Logged as internal (5xx).
  if (isDatabaseUnavailable(error)) {
    return httpProblem("HTTP.DATABASE_UNAVAILABLE", `The database did not answer in time; retry in ${RETRY_AFTER_S} s`, at, {
      headers: { "retry-after": String(RETRY_AFTER_S) },
    });
  }
  if (error instanceof QueueFullError) {
    return httpProblem("HTTP.QUEUE_FULL", `${error.message}; retry in ${error.retryAfterSeconds} s`, at, {
      headers: { "retry-after": String(error.retryAfterSeconds) },
    });
  }
  if (fastifyError.code === "FST_ERR_HANDLER_TIMEOUT") {
    return httpProblem("HTTP.TIMEOUT", `The request was not answered within the service's time limit; retry in ${RETRY_AFTER_S} s`, at, {
      headers: { "retry-after": String(RETRY_AFTER_S) },
    });
  }
  const status = typeof fastifyError.statusCode === "number" ? fastifyError.statusCode : 500;
  if (status >= 400 && status < 500) {
    // Fastify's own 4xx messages describe the request, not our internals, so they can be shown.
    const detail = typeof fastifyError.message === "string" ? fastifyError.message : "Bad request";
    return problem("HTTP.BAD_REQUEST", status, HttpErrorCodes["HTTP.BAD_REQUEST"].title, detail, at);
  }
  return httpProblem("HTTP.INTERNAL", "Something went wrong on our side; quote the requestId when reporting it", at);
}

/** A domain error's title: its category's, but the actor's refusals keep the titles clients have always seen. */
function titleOf(error: DomainError): string {
  const actorCode = ActorErrorCodes[error.code as keyof typeof ActorErrorCodes] as { title: string } | undefined;
  return actorCode?.title ?? categoryStatus[error.category].title;
}

export function occurrenceOf(request: FastifyRequest): Occurrence {
  return { instance: request.url.split("?", 1)[0] ?? request.url, requestId: request.id, fieldsIn: request.routeOptions.config?.fieldsIn };
}

/**
 * Send a problem as a string so that no route's response serializer reshapes it.
 */
export function sendProblem(reply: FastifyReply, { body, headers }: Problem): FastifyReply {
  return reply.code(body.status).headers(headers).header("content-type", PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}
