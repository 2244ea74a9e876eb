import { z } from "zod";
import { ProblemDocument } from "@kruzhok/contracts";

/**
 * What the kit adds to every service's OpenAPI document so that a client can be generated from
 * it and an integrator knows every answer: an operationId, the problem responses each route can
 * give, the Idempotency-Key header where the kit honours it, servers, tag descriptions. Pure: the
 * document in, the document out; app.ts applies it to what @fastify/swagger builds, so /docs/json
 * and the committed `services/<name>/openapi.json` are the same document.
 */

type Json = Record<string, unknown>;
interface Operation extends Json {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: Json[];
  requestBody?: Json;
  responses?: Record<string, Json>;
}

export interface OpenApiCompletion {
  service: string;
  /** The port the service listens on in the local stack: the default server. */
  port?: number;
  /** A sentence per tag (the tags the routes use); a tag without one gets a generic sentence. */
  tags?: Readonly<Record<string, string>>;
  /** Whether POSTs honour Idempotency-Key (the app has an idempotency store). */
  idempotency: boolean;
  description?: string;
}

const METHODS = ["get", "put", "post", "patch", "delete"] as const;

/**
 * A stable operationId from the method and the path, for routes that name none: `GET
 * /municipalities/{id}/years/{year}` is `getMunicipalitiesByIdYearsByYear`. Unique (one route per
 * method and path) but mechanical, so only a fallback: every service route names its own
 * (`setYearSettings`), the method a generated client gets, and test/openapi fails on a fallback.
 */
export function operationIdOf(method: string, path: string): string {
  const words = path
    .split("/")
    .filter(Boolean)
    .map((segment) => {
      const param = /^\{(.+)\}$/.exec(segment) ?? /^:(.+)$/.exec(segment);
      const name = (param ? param[1]! : segment).replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? "").toUpperCase());
      const word = name.charAt(0).toUpperCase() + name.slice(1);
      return param ? `By${word}` : word;
    });
  return `${method.toLowerCase()}${words.join("") || "Root"}`;
}

/** Which problems a route may answer with, by what it takes and whether it is public. */
function problemStatuses(method: string, path: string, operation: Operation): string[] {
  const isPublic = Array.isArray(operation.security) && operation.security.length === 0;
  const statuses = ["400"];
  if (!isPublic) statuses.push("401", "403");
  if (path.includes("{")) statuses.push("404");
  if (method !== "get") statuses.push("409", "422");
  // A body over the limit, or of a type the route does not take: refused before the route sees it.
  if (operation.requestBody) statuses.push("413", "415");
  statuses.push("429", "500", "503");
  return statuses.sort();
}

const PROBLEM_DESCRIPTIONS: Record<string, string> = {
  "400": "The request breaks a field's rule: `invalidParams` names each field and its rule",
  "401": "No valid bearer token (absent, expired or badly signed)",
  "403": "The token's role or scope does not reach this resource (another municipality, region, family or provider)",
  "404": "No such resource, or one the caller may not know exists",
  "409": "The resource's state does not allow this now (taken, already done, a different request under the same Idempotency-Key)",
  "413": "The request body is larger than the route takes",
  "415": "The request body is not of a content type the route takes (its requestBody lists them)",
  "422": "The request is well formed but a domain rule refuses it; `code` says which",
  "429": "Too many requests: retry after the `retry-after` seconds",
  "500": "The service failed; `instance` identifies the occurrence in its logs",
  "503": "A dependency is down or the service is shedding load: retry after the `retry-after` seconds",
};

/** The document completed in place and returned. */
export function completeOpenApi<T extends object>(document: T, completion: OpenApiCompletion): T {
  const doc = document as unknown as Json & { paths?: Record<string, Record<string, Operation>>; components?: Json; tags?: { name: string; description?: string }[]; info?: Json; security?: unknown[] };
  doc.info = {
    ...(doc.info ?? {}),
    description:
      completion.description ??
      `Kruzhok's ${completion.service} service. Errors are RFC 9457 problem documents (application/problem+json) with a stable \`code\` and the wrong fields in \`invalidParams\`, in the request's Accept-Language (ru, kk; English otherwise).`,
    license: { name: "Proprietary: the region that runs it", url: "https://kruzhok.example/license" },
  };
  doc.servers = [
    {
      url: "{origin}",
      description: "Where the service is deployed; the local stack (`npm start`) serves it on 127.0.0.1",
      variables: { origin: { default: `http://127.0.0.1:${completion.port ?? 3000}`, description: "scheme, host and port of the service" } },
    },
  ];
  const components = (doc.components ??= {}) as Json & { schemas?: Json; responses?: Json; parameters?: Json };
  components.schemas = { ...(components.schemas ?? {}), ProblemDocument: z.toJSONSchema(ProblemDocument, { target: "draft-2020-12", unrepresentable: "any", io: "output" }) };
  const { $schema: _ignored, ...problemSchema } = components.schemas.ProblemDocument as Json;
  components.schemas.ProblemDocument = problemSchema;
  const usedStatuses = new Set<string>();
  let usedIdempotency = false;
  if (completion.idempotency) {
    components.parameters = {
      ...(components.parameters ?? {}),
      IdempotencyKey: {
        name: "Idempotency-Key",
        in: "header",
        required: false,
        description:
          "A key of the client's choosing (1 to 255 visible ASCII characters) for a request it may retry: a retry with the same key and body gets the first answer again (`idempotent-replayed: true`); the same key with another body is refused (409). Kept a day.",
        schema: { type: "string", minLength: 1, maxLength: 255, pattern: "^[\\x21-\\x7e]+$" },
      },
    };
  }

  const usedTags = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      operation.operationId ??= operationIdOf(method, path);
      if (!operation.tags || operation.tags.length === 0) operation.tags = [completion.service];
      for (const tag of operation.tags) usedTags.add(tag);
      const answers = (operation.responses ??= {});
      for (const status of problemStatuses(method, path, operation)) {
        if (answers[status]) continue;
        answers[status] = { $ref: `#/components/responses/Problem${status}` };
        usedStatuses.add(status);
      }
      const isPublic = Array.isArray(operation.security) && operation.security.length === 0;
      // A public route still reads a valid token when one is sent (a provider sees its own
      // record in full, a family its drafts), and ignores a bad one: the bearer is optional, not
      // absent, or a generated client would never send it.
      if (isPublic && Array.isArray(doc.security) && doc.security.length > 0) operation.security = [{}, ...doc.security];
      if (completion.idempotency && method === "post" && !isPublic) {
        const parameters = (operation.parameters ??= []);
        if (!parameters.some((p) => typeof p.name === "string" && p.name.toLowerCase() === "idempotency-key")) {
          parameters.push({ $ref: "#/components/parameters/IdempotencyKey" });
          usedIdempotency = true;
        }
      }
    }
  }
  // Only the answers some route gives: a component nothing refers to is noise to a reader.
  const responses: Json = {};
  for (const status of [...usedStatuses].sort()) {
    responses[`Problem${status}`] = { description: PROBLEM_DESCRIPTIONS[status], content: { "application/problem+json": { schema: { $ref: "#/components/schemas/ProblemDocument" } } } };
  }
  if (usedStatuses.size > 0) components.responses = { ...(components.responses ?? {}), ...responses };
  else delete components.schemas.ProblemDocument;
  if (!usedIdempotency && components.parameters) {
    delete (components.parameters).IdempotencyKey;
    if (Object.keys(components.parameters).length === 0) delete components.parameters;
  }
  doc.tags = [...usedTags].sort().map((name) => ({ name, description: completion.tags?.[name] ?? `${completion.service}: ${name.replace(/-/g, " ")}` }));
  return document;
}
