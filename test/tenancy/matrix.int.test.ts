import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routesOf } from "@kruzhok/http";
import {
  ACTING_BASIS,
  kitRoutes,
  ownerActor,
  snapshot,
  strangerHeaders,
  Strangers,
  unauthenticated,
  type GuardedRow,
  type MatrixHarness,
  type Method,
  type RouteKey,
  type RouteRow,
  type World,
} from "./matrix";
import { matrices } from "./services";

// The tenancy matrix (issue 12): every route of every service, called with every stranger's
// credentials (none, expired, a wrong signature, another family, another provider, the office of
// another municipality, officials of another region), must be refused (401 without valid
// credentials; 403, or the 404 that hides another's resource, as the service's rule says) with a
// problem document of a stable code, and write nothing: no row of any table, no Redis key. Then
// the owner's own call must go through, so that the refusals were about the strangers, not a
// request that could never work. A route a service registers and its table does not list fails
// the test: a new route joins test/tenancy/<service>.ts (CONTRIBUTING.md).

const guarded = <W>(row: RouteRow<W> | undefined): row is GuardedRow<W> => row !== undefined && !("public" in row);

/** What a row asks of the matrix: a guarded route, or a public one's hidden resources (every stranger a visitor). */
interface Check {
  call: GuardedRow<World>["call"];
  owner: GuardedRow<World>["owner"];
  notForeign?: GuardedRow<World>["notForeign"];
  ownerSkipped?: string;
  /** A public route: a missing or bad token makes a visitor, refused as any stranger is. */
  visitorsToo: boolean;
}

function checkOf(row: RouteRow<World> | undefined): Check | undefined {
  if (guarded(row)) return { ...row, visitorsToo: false };
  if (row?.hidden) return { ...row.hidden, visitorsToo: true };
  return undefined;
}

describe.each(matrices)("tenancy: $service", (matrix) => {
  let h: MatrixHarness;
  let w: World;
  beforeAll(async () => {
    h = await matrix.harness(`tenancy_${matrix.service}`);
    w = await matrix.world(h);
  });
  afterAll(async () => h?.close());

  const table: Partial<Record<RouteKey, RouteRow<World>>> = { ...kitRoutes, ...matrix.routes };

  it("lists every route the service registers, and no route it does not", () => {
    const registered = routesOf(h.app).map((route) => `${route.method} ${route.url}`);
    expect(registered.filter((route) => !(route in table)), "routes missing from the table").toEqual([]);
    expect(
      Object.keys(table).filter((route) => !registered.includes(route)),
      "rows naming no registered route",
    ).toEqual([]);
    // A public row must be a public route, and a guarded one a guarded route.
    const publicRoutes = new Set(routesOf(h.app).filter((route) => route.public).map((route) => `${route.method} ${route.url}`));
    for (const [route, row] of Object.entries(table)) {
      if (registered.includes(route)) expect(publicRoutes.has(route), `${route} is ${publicRoutes.has(route) ? "public" : "guarded"}`).toBe(!guarded(row));
    }
  });

  const rows = Object.entries(matrix.routes).flatMap(([route, row]) => {
    const check = checkOf(row);
    return check ? [[route, check] as const] : [];
  });

  it.each(rows)("%s: refused to every stranger, nothing written; its owner goes through", async (route, row) => {
    const method = route.slice(0, route.indexOf(" ")) as Method;
    const call = row.call(w);
    const inject = async (headers: Record<string, string>) =>
      h.app.inject({ method, url: call.url, headers: { ...call.headers, ...headers }, ...(call.payload !== undefined && { payload: call.payload }) });

    for (const stranger of Strangers) {
      const headers = await strangerHeaders(h, stranger, row.owner, w);
      const before = await snapshot(h);
      const answer = await inject(headers);
      const what = `${route} as ${stranger}: ${answer.statusCode} ${answer.body}`;
      const reason = row.notForeign?.[stranger];
      if (reason !== undefined && !unauthenticated.has(stranger)) {
        expect(answer.statusCode, what).toBeLessThan(500);
        for (const secret of w.secrets) expect(answer.body, `${what} shows ${secret}`).not.toContain(secret);
        continue;
      }
      expect(answer.headers["content-type"], what).toMatch(/^application\/problem\+json/);
      const problem = answer.json<{ status: number; code: string }>();
      if (unauthenticated.has(stranger) && !row.visitorsToo) {
        expect([answer.statusCode, problem.code], what).toEqual([401, "AUTH.UNAUTHENTICATED"]);
      } else {
        expect([403, 404], what).toContain(answer.statusCode);
        expect(problem.code.startsWith("AUTH.") || matrix.refusals.test(problem.code), `${what}: not a refusal code of ${matrix.service}`).toBe(true);
      }
      expect(problem.status, what).toBe(answer.statusCode);
      expect(await snapshot(h), `${what} wrote something`).toEqual(before);
    }

    if (row.ownerSkipped !== undefined) return;
    const owner = await inject({ ...(await h.as(ownerActor(row.owner, w))), ...(row.owner === "operator" && ACTING_BASIS) });
    const ownerWhat = `${route} as its owner (${row.owner}): ${owner.statusCode} ${owner.body}`;
    expect([200, 201, 202, 204, 409, 422], ownerWhat).toContain(owner.statusCode);
    // A refusal of who the owner is (AUTH.*) would mean the row proves nothing about strangers.
    if (owner.statusCode >= 400) expect(owner.json<{ code: string }>().code.startsWith("AUTH."), ownerWhat).toBe(false);
  });
});
