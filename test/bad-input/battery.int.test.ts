import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routesOf, type HttpApp } from "@kruzhok/http";
import type { Pool } from "@kruzhok/postgres";
import { catalogueHarness } from "../../services/catalogue/test/fixtures/catalogue";
import { enrollmentHarness } from "../../services/enrollment/test/fixtures/enrollment";
import { registryHarness } from "../../services/registry/test/fixtures/registry";

// Bad input against every write route of registry, catalogue and enrollment, the routes read
// from what each app registered (a new write route is covered, or this fails if the OpenAPI
// document does not describe it). Every field of a route's body, query and path gets the values
// below, each sent alone; every answer must be a 4xx RFC 9457 problem document naming the field
// (413 and unparseable JSON name none: the body never became fields), no 5xx, and no row of any
// table (the outbox included) may change.

type Json = Record<string, unknown>;
interface Service {
  name: string;
  app: HttpApp;
  pool: Pool;
  as: (who: { role: "region"; regionCode: string }) => Promise<{ authorization: string }>;
  close: () => Promise<void>;
}

const MAX_SAFE_PLUS_TWO = "9007199254740993"; // 2^53 + 1: JSON.parse rounds it to 2^53.

/** A value to put in a field, as JSON text (so that 2^53 + 1 and NaN can be written as sent). */
interface Bad {
  what: string;
  json: string;
}
const text = (what: string, value: unknown): Bad => ({ what, json: JSON.stringify(value) });

const forString: Bad[] = [
  text("a zero-width space in a name", "Ан\u200Bна"),
  text("a right-to-left override", "Иван\u202Eова"),
  text("a homoglyph: Latin letters in a Cyrillic word", "Аnnа Иванова"),
  text("a 1 MB string", "ж".repeat(500_000)),
  text("a number as 1e3", 1e3),
];
const forNumber = (integer: boolean): Bad[] => [
  text("1e3 as a string", "1e3"),
  text("NaN as a string", "NaN"),
  { what: "2^53 + 1", json: MAX_SAFE_PLUS_TWO },
  ...(integer ? [text("0.5", 0.5)] : []),
  text("a string", "много"),
];
const forDate: Bad[] = [text("30 February", "2026-02-30"), text("year 0000", "0000-01-01"), text("1e3", "1e3")];
const forInstant: Bad[] = [text("30 February", "2026-02-30T10:00:00Z"), text("year 0000", "0000-01-01T00:00:00Z"), text("a date without a time", "2026-09-01")];
const forUuid: Bad[] = [text("1e3", "1e3"), text("a zero-width space in an id", `${randomUUID()}\u200B`)];
const forOther: Bad[] = [text("1e3", "1e3"), text("NaN as a string", "NaN"), text("-1", -1)];

/** Fields whose schema allows a negative number (none yet): -1 is refused everywhere else. */
const negativeAllowed = new Set<string>();

interface Field {
  /** Where the field is, as a problem document names it (`body.licence.issuedOn`). */
  name: string;
  /** The request part and the path within it. */
  part: "body" | "query" | "params";
  path: (string | number)[];
  schema: Json;
  /** Discriminators on the way to it (`{ decision: "reject" }`), sent beside it so that the union's branch is chosen. */
  fixed: { path: (string | number)[]; value: unknown }[];
}

function resolve(schema: Json, spec: Json): Json {
  const ref = schema.$ref;
  if (typeof ref !== "string") return schema;
  const target = ref.replace(/^#\//, "").split("/").reduce<unknown>((node, key) => (node as Json)[key], spec);
  return resolve(target as Json, spec);
}

/**
 * The leaves of a JSON Schema, with their paths (an array's first item; every branch of a union
 * but null, each with the constant its discriminator must have).
 */
function leaves(schema: Json, spec: Json, part: Field["part"], path: (string | number)[] = [], depth = 0, fixed: Field["fixed"] = []): Field[] {
  const s = resolve(schema, spec);
  const branches = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  if (branches) return branches.filter((b) => resolve(b, spec).type !== "null").flatMap((b) => leaves(b, spec, part, path, depth, fixed));
  if (depth > 6) return [];
  if (s.type === "object" && s.properties) {
    const properties = Object.entries(s.properties as Record<string, Json>).map(([key, inner]) => [key, resolve(inner, spec)] as const);
    const constant = (inner: Json): unknown[] => (inner.const !== undefined ? [inner.const] : Array.isArray(inner.enum) && inner.enum.length === 1 ? inner.enum : []);
    const discriminators = properties.flatMap(([key, inner]) => constant(inner).map((value) => ({ path: [...path, key], value })));
    return properties.flatMap(([key, inner]) => leaves(inner, spec, part, [...path, key], depth + 1, [...fixed, ...discriminators.filter((d) => d.path.at(-1) !== key)]));
  }
  if (s.type === "array" && s.items) return leaves(s.items as Json, spec, part, [...path, 0], depth + 1, fixed);
  return [{ name: [part, ...path].join("."), part, path, schema: s, fixed }];
}

function badValuesFor(field: Field): Bad[] {
  const s = field.schema;
  const type = Array.isArray(s.type) ? (s.type as string[]).find((t) => t !== "null") : s.type;
  if (type === "integer" || type === "number") {
    const values = forNumber(type === "integer");
    const minimum = typeof s.minimum === "number" ? s.minimum : typeof s.exclusiveMinimum === "number" ? s.exclusiveMinimum : undefined;
    if (!negativeAllowed.has(field.name) && (minimum === undefined || minimum >= 0)) values.push(text("-1", -1));
    return values;
  }
  if (type === "string") {
    if (s.format === "date") return forDate;
    if (s.format === "date-time") return forInstant;
    if (s.format === "uuid") return forUuid;
    if (s.enum || s.const !== undefined) return [text("a zero-width space in a code", `${String((s.enum as unknown[] | undefined)?.[0] ?? s.const)}\u200B`), text("1e3", 1e3)];
    return forString;
  }
  if (type === "boolean") return [text("1e3", "1e3"), text("a string", "да")];
  return forOther;
}

const HOLE = `"hole-${randomUUID()}"`;

/** The body with `path` set to the raw JSON `value` (and the field's discriminators): `{"licence":{"issuedOn":<value>}}`. */
function bodyWith(path: (string | number)[], value: string, fixed: Field["fixed"] = []): string {
  const root: Json = {};
  const put = (at: (string | number)[], v: unknown) => {
    let node: Record<string | number, unknown> = root;
    at.forEach((key, i) => {
      if (i === at.length - 1) node[key] = v;
      else node = (node[key] ??= typeof at[i + 1] === "number" ? [] : {}) as Record<string | number, unknown>;
    });
  };
  for (const d of fixed) put(d.path, d.value);
  put(path, JSON.parse(HOLE));
  return JSON.stringify(root).replace(HOLE, () => value);
}

interface Operation {
  method: string;
  url: string;
  fields: Field[];
  hasBody: boolean;
}

/** The write routes the app registered, with their fields from its OpenAPI document. */
async function writeOperations(app: HttpApp): Promise<Operation[]> {
  const spec = (await app.inject({ method: "GET", url: "/docs/json" })).json<Json>();
  const paths = spec.paths as Record<string, Record<string, Json>>;
  return routesOf(app)
    .filter((r) => ["POST", "PUT", "PATCH", "DELETE"].includes(r.method))
    .map((route) => {
      const openApiPath = route.url.replace(/:(\w+)/g, "{$1}");
      const operation = paths[openApiPath]?.[route.method.toLowerCase()];
      if (!operation) throw new Error(`${route.method} ${route.url} is not in the OpenAPI document: the battery cannot read its fields`);
      const body = ((operation.requestBody as Json | undefined)?.content as Record<string, Json> | undefined)?.["application/json"]?.schema as Json | undefined;
      const parameters = (operation.parameters ?? []) as { in: string; name: string; schema: Json }[];
      const fields = [
        ...(body ? leaves(body, spec, "body") : []),
        ...parameters.filter((p) => p.in === "query" || p.in === "path").map((p): Field => ({
          name: `${p.in === "path" ? "params" : "query"}.${p.name}`,
          part: p.in === "path" ? "params" : "query",
          path: [p.name],
          schema: resolve(p.schema, spec),
          fixed: [],
        })),
      ];
      return { method: route.method, url: route.url, fields, hasBody: body !== undefined };
    });
}

/** A plausible value for each path parameter, so that only the field under test is wrong. */
const goodParam = (name: string) => (name === "year" ? "2026" : randomUUID());

function urlOf(op: Operation, params: Record<string, string> = {}, query = ""): string {
  const path = op.url.replace(/:(\w+)/g, (_, name: string) => params[name] ?? goodParam(name));
  return query ? `${path}?${query}` : path;
}

/** Rows of every table of the service's database (the outbox, inbox and idempotency keys among them). */
async function rowCounts(pool: Pool): Promise<Record<string, number>> {
  const { rows: tables } = await pool.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
  );
  const { rows } = await pool.query<Record<string, number>>(`SELECT ${tables.map((t) => `(SELECT count(*)::int FROM "${t.name}") AS "${t.name}"`).join(", ")}`);
  return rows[0]!;
}

interface Sent {
  label: string;
  expectField?: string;
  method: string;
  url: string;
  payload?: string;
  headers?: Record<string, string>;
}

function casesOf(op: Operation): Sent[] {
  const sent: Sent[] = [];
  const label = (what: string) => `${op.method} ${op.url}: ${what}`;
  const json = { "content-type": "application/json" };
  // Whole bodies: too large, not JSON, prototype keys (refused by the parser: they never become fields).
  sent.push({ label: label("a 5 MB body"), method: op.method, url: urlOf(op), payload: JSON.stringify({ padding: "x".repeat(5 * 1024 * 1024) }), headers: json });
  sent.push({ label: label("NaN as the body"), method: op.method, url: urlOf(op), payload: "NaN", headers: json });
  sent.push({ label: label("a __proto__ key"), method: op.method, url: urlOf(op), payload: '{"__proto__":{"polluted":true}}', headers: json });
  sent.push({ label: label("a constructor.prototype key"), method: op.method, url: urlOf(op), payload: '{"constructor":{"prototype":{"polluted":true}}}', headers: json });
  for (const field of op.fields) {
    for (const bad of badValuesFor(field)) {
      const what = label(`${field.name} = ${bad.what}`);
      if (field.part === "body") {
        sent.push({ label: what, expectField: field.name, method: op.method, url: urlOf(op), payload: bodyWith(field.path, bad.json, field.fixed), headers: json });
        // The same value under a __proto__ key beside it: refused as a whole, never merged into an object.
        if (field.path.length > 1 && typeof field.path.at(-2) === "string") {
          sent.push({ label: `${what}, beside a nested __proto__`, method: op.method, url: urlOf(op), payload: bodyWith(field.path.slice(0, -1), '{"__proto__":{"polluted":true}}'), headers: json });
        }
      } else {
        const raw = JSON.parse(bad.json) as unknown;
        const value = typeof raw === "string" ? raw : bad.json;
        if (field.part === "params") {
          sent.push({ label: what, expectField: field.name, method: op.method, url: urlOf(op, { [String(field.path[0])]: encodeURIComponent(value) }), ...(op.hasBody && { payload: "{}", headers: json }) });
        } else {
          sent.push({ label: what, expectField: field.name, method: op.method, url: urlOf(op, {}, `${String(field.path[0])}=${encodeURIComponent(value)}`), ...(op.hasBody && { payload: "{}", headers: json }) });
        }
      }
    }
  }
  return sent;
}

const services: { name: string; build: () => Promise<Service> }[] = [
  { name: "registry", build: async () => { const h = await registryHarness("bad-input-registry"); return { name: "registry", app: h.app, pool: h.pool, as: (who) => h.as(who), close: () => h.close() }; } },
  { name: "catalogue", build: async () => { const h = await catalogueHarness("bad-input-catalogue"); return { name: "catalogue", app: h.app, pool: h.pool, as: (who) => h.as(who), close: () => h.close() }; } },
  { name: "enrollment", build: async () => { const h = await enrollmentHarness("bad-input-enrollment"); return { name: "enrollment", app: h.app, pool: h.pool, as: (who) => h.as(who), close: () => h.close() }; } },
];

describe.each(services)("bad input against every write route of $name", ({ build }) => {
  let service: Service;
  let authorization: string;
  beforeAll(async () => {
    service = await build();
    // Any valid token: the request passes authentication, and the input is judged before who may act.
    ({ authorization } = await service.as({ role: "region", regionCode: "41" }));
  });
  afterAll(async () => {
    await service.close();
  });

  it("answers every bad value with a 4xx problem document naming the field, and writes nothing", async () => {
    const operations = await writeOperations(service.app);
    expect(operations.length).toBeGreaterThan(0);
    const failures: string[] = [];
    const before = await rowCounts(service.pool);
    let sentCount = 0;
    for (const op of operations) {
      for (const c of casesOf(op)) {
        sentCount++;
        const answer = await service.app.inject({
          method: c.method as "POST",
          url: c.url,
          headers: { authorization, ...c.headers },
          ...(c.payload !== undefined && { payload: c.payload }),
        });
        const problem = (answer.headers["content-type"] ?? "").startsWith("application/problem+json") ? answer.json<{ status: number; invalidParams?: { name: string }[] }>() : undefined;
        if (answer.statusCode < 400 || answer.statusCode >= 500) failures.push(`${c.label}: ${answer.statusCode} ${answer.body.slice(0, 200)}`);
        else if (problem?.status !== answer.statusCode) failures.push(`${c.label}: ${answer.statusCode} is not a problem document`);
        else if (c.expectField && answer.statusCode !== 413 && !problem?.invalidParams?.some((p) => p.name === c.expectField || p.name.startsWith(`${c.expectField}.`))) {
          failures.push(`${c.label}: ${answer.statusCode} does not name ${c.expectField}: ${answer.body.slice(0, 300)}`);
        }
      }
    }
    expect(failures, `${failures.length} of ${sentCount} bad requests were mishandled`).toEqual([]);
    // Every write route got its whole-body cases and a case per field at least.
    expect(sentCount).toBeGreaterThanOrEqual(operations.reduce((n, op) => n + 4 + op.fields.length, 0));
    expect(await rowCounts(service.pool)).toEqual(before);
  });
});
