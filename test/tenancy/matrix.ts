import { randomUUID } from "node:crypto";
import type { HttpApp } from "@kruzhok/http";
import type { Pool } from "@kruzhok/postgres";
import type { Harness, TokenFor } from "@kruzhok/testkit";

// The tenancy matrix's vocabulary (issue 12): every route of every service, called by everyone
// who must not reach the resource it names, must refuse and write nothing. A service's table is
// a `ServiceMatrix` in test/tenancy/<service>.ts, listed in test/tenancy/services.ts; the one
// test, matrix.int.test.ts, runs them all and fails on a registered route a table does not list.

/** Home region and another one: every resource of a matrix world lives in the home region. */
export const HOME_REGION = "41";
export const OTHER_REGION = "11";

/**
 * Who calls each route besides its owner: no credentials, bad credentials, and each role from
 * just outside the resource's reach (another family or provider in the same municipality, the
 * office of the neighbouring municipality of the same region, officials of another region).
 */
export const Strangers = [
  "no token",
  "expired token",
  "wrong signature",
  "guardian of another family",
  "provider of another provider",
  "operator of another municipality",
  "municipality of another municipality",
  "official of another region",
  "ministry of another region",
] as const;
export type Stranger = (typeof Strangers)[number];

/** Strangers refused before any rule: 401 AUTH.UNAUTHENTICATED. */
export const unauthenticated: ReadonlySet<Stranger> = new Set(["no token", "expired token", "wrong signature"]);

/** The legitimate actors of the home municipality: a row names the one whose resource it is. */
export type Owner = "guardian" | "provider" | "operator" | "municipality" | "region" | "ministry";

/** What every service's world has: its two municipalities of the home region, and whose the resources are. */
export interface World {
  /** Where the resources are. */
  home: string;
  /** Another municipality of the home region: its office is a stranger at home. */
  neighbour: string;
  /** The home family's guardian and the home provider: the owners' tokens carry them. */
  guardianId: string;
  providerId: string;
  /** A guardian and a provider of the home municipality who are someone else (registered where the service knows them). */
  otherGuardianId: string;
  otherProviderId: string;
  /** Ids a stranger's answer must never show (the home family's, the home provider's resources). */
  secrets: string[];
}

export type Method = "GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "PATCH";
/** `METHOD /url` exactly as the service registers it (`GET /programs/:id`). */
export type RouteKey = `${Method} /${string}`;

export interface Call {
  /** The path with its parameters filled in, and a query string if the route needs one. */
  url: string;
  payload?: object;
  /** Headers the act needs whoever calls (a provider's walk-in states the family's paper in Acting-Basis). */
  headers?: Record<string, string>;
}

/** A route anyone may call without a token: say why, so a reviewer can judge. */
export interface PublicRow<W = World> {
  public: string;
  /**
   * A public route that still hides what is not public (a draft program): called for such a
   * resource, every stranger gets the refusal the service's rule gives (a bad or missing token is
   * a visitor's, not a 401), and its owner sees it.
   */
  hidden?: { call: (w: W) => Call; owner: Owner };
}

export interface GuardedRow<W> {
  /** The request, naming a resource of the home municipality (or the home region). */
  call: (w: W) => Call;
  /**
   * Whose resource it is: called after the strangers, it must not be refused (2xx, or 409/422 from
   * a rule of the resource's state), which shows that the strangers' refusals were about them.
   */
  owner: Owner;
  /**
   * Strangers for whom the route names nothing of anyone else's (a guardian registering themself),
   * with why. They are still called: no 5xx, and their answer shows none of the world's secrets.
   */
  notForeign?: Partial<Record<Stranger, string>>;
  /** The owner's call is skipped (say why): e.g. it would end what a later row needs. */
  ownerSkipped?: string;
}

export type RouteRow<W> = PublicRow<W> | GuardedRow<W>;

export type MatrixHarness = Harness<object, HttpApp>;

export interface ServiceMatrix<W extends World = World, H extends MatrixHarness = MatrixHarness> {
  service: string;
  /**
   * Codes a stranger may be refused with besides AUTH.* (the service's rule: a 404 that hides
   * another's resource, NOT_YOUR_*), with 403 or 404.
   */
  refusals: RegExp;
  harness(label: string): Promise<H>;
  /** The home municipality's resources, made through the service's own routes and consumers. */
  world(h: H): Promise<W>;
  /**
   * Every route the service registers, in the order they are called (rows whose owner's call
   * ends something come last); the kit's own routes too (health, metrics, docs).
   */
  routes: Partial<Record<RouteKey, RouteRow<W>>>;
}

/** A service's table, typed by its own world and harness, for the list in services.ts. */
export function defineMatrix<W extends World, H extends MatrixHarness>(matrix: ServiceMatrix<W, H>): ServiceMatrix {
  return matrix as unknown as ServiceMatrix;
}

/** The kit's own routes every service has (packages/http): public, or open to the machine's own scrapers. */
export const kitRoutes: Record<RouteKey, { public: string }> = {
  "GET /livez": { public: "liveness: says the process runs, nothing more" },
  "GET /readyz": { public: "readiness for the orchestrator: the service's own dependencies, no data" },
  "GET /metrics": { public: "aggregate counters, restricted by client address with METRICS_ALLOW (README, Security)" },
  "GET /docs": { public: "the OpenAPI document's UI, restricted by client address with DOCS_ALLOW" },
  "GET /docs/json": { public: "the OpenAPI document" },
  "GET /docs/yaml": { public: "the OpenAPI document" },
  "GET /docs/static/*": { public: "the UI's files" },
  "GET /docs/static/index.html": { public: "the UI's page" },
  "GET /docs/static/swagger-initializer.js": { public: "the UI's script" },
  "HEAD /docs/": { public: "the UI's page, as HEAD (registered by the UI plugin itself)" },
};

/**
 * What an operator states when acting for a family (packages/actor basis.ts); every operator in
 * the matrix sends it, so that no answer is a refusal for a missing basis instead of the check
 * the row is about.
 */
export const ACTING_BASIS = { "acting-basis": "in_person_visit" } as const;

/** The owner's token claims in `w`. */
export function ownerActor(owner: Owner, w: World): TokenFor {
  switch (owner) {
    case "guardian":
      return { role: "guardian", municipalityId: w.home, guardianId: w.guardianId, subject: `owner-guardian-${w.guardianId}` };
    case "provider":
      return { role: "provider", municipalityId: w.home, providerId: w.providerId, subject: `owner-provider-${w.providerId}` };
    case "operator":
      return { role: "operator", municipalityId: w.home };
    case "municipality":
      return { role: "municipality", municipalityId: w.home };
    case "region":
      return { role: "region", regionCode: HOME_REGION };
    case "ministry":
      return { role: "ministry", regionCode: HOME_REGION };
    default: {
      const exhaustive: never = owner;
      return exhaustive;
    }
  }
}

/** The stranger's `authorization` header (none for "no token"), for a row whose owner is `owner`. */
export async function strangerHeaders(h: MatrixHarness, stranger: Stranger, owner: Owner, w: World): Promise<Record<string, string>> {
  const as = async (who: TokenFor) => h.as(who);
  switch (stranger) {
    case "no token":
      return {};
    case "expired token":
      return { authorization: `Bearer ${await h.token(ownerActor(owner, w), "-10m")}` };
    case "wrong signature": {
      // The owner's own claims, signed with a key the service does not trust.
      const [header = "", payload = ""] = (await h.token(ownerActor(owner, w))).split(".");
      return { authorization: `Bearer ${header}.${payload}.${Buffer.alloc(32, 7).toString("base64url")}` };
    }
    case "guardian of another family":
      return as({ role: "guardian", municipalityId: w.home, guardianId: w.otherGuardianId });
    case "provider of another provider":
      return as({ role: "provider", municipalityId: w.home, providerId: w.otherProviderId });
    case "operator of another municipality":
      // With a basis, as an operator at a desk would: the refusal must be about the tenancy.
      return { ...(await as({ role: "operator", municipalityId: w.neighbour })), ...ACTING_BASIS };
    case "municipality of another municipality":
      return as({ role: "municipality", municipalityId: w.neighbour });
    case "official of another region":
      return as({ role: "region", regionCode: OTHER_REGION });
    case "ministry of another region":
      return as({ role: "ministry", regionCode: OTHER_REGION });
    default: {
      const exhaustive: never = stranger;
      return exhaustive;
    }
  }
}

/**
 * Everything a request could have written: every table of the service's database and every
 * Redis key of the harness's prefix, as digests. Equal before and after a refusal: nothing written.
 */
export async function snapshot(h: MatrixHarness): Promise<Record<string, string>> {
  const tables = await tablesOf(h.pool);
  const digests = tables.map((table) => `(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM "${table}" t) AS "${table}"`);
  const { rows } = await h.pool.query<Record<string, string>>(`SELECT ${digests.join(", ")}`);
  const state: Record<string, string> = { ...rows[0] };
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, found] = await h.redis.scan(cursor, "MATCH", `${h.iso.redisPrefix}*`, "COUNT", 1000);
    keys.push(...found);
    cursor = next;
  } while (cursor !== "0");
  for (const key of keys.sort()) state[`redis:${key}`] = (await h.redis.dumpBuffer(key))?.toString("hex") ?? "";
  return state;
}

const tableLists = new WeakMap<Pool, Promise<string[]>>();

function tablesOf(pool: Pool): Promise<string[]> {
  let tables = tableLists.get(pool);
  if (!tables) {
    tables = pool
      .query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1")
      .then(({ rows }) => rows.map((row) => row.name));
    tableLists.set(pool, tables);
  }
  return tables;
}

/** A fresh id for a world's strangers, where the service needs no record of them. */
export const someone = (): string => randomUUID();
