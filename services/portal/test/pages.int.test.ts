import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routesOf, type HttpApp } from "@kruzhok/http";
import { serviceHarness, type Harness } from "@kruzhok/testkit";
import { Services, type ServiceName } from "../src/api/client";
import { buildPortalApp } from "../src/app";
import { migratePortal } from "../src/migrations";
import { createSession } from "../src/store/sessions";
import { ROLES, ownersOf, type Access, type Role } from "./pages/access";
import { PAGES as DASHBOARD_PAGES } from "./pages/dashboard";
import { PAGES as MONEY_PAGES } from "./pages/money";
import { PAGES as MUNICIPALITY_PAGES } from "./pages/municipality";
import { PAGES as MUNICIPALITY_SETTINGS_PAGES } from "./pages/municipality-settings";
import { PAGES as OFFICE_ACTING_PAGES } from "./pages/office-acting";
import { PAGES as OFFICE_IMPORT_PAGES } from "./pages/office-import";

// The portal's own guard, route by route (the tenancy matrix of its pages): every page that is
// a person's is refused to the signed-out (sent to sign in), to every other role (403 in words),
// and every form to a post without its form token (403), before any service is called: the
// services behind (a recording HTTP server here; the browser tests use the real ones) hear
// nothing. Input no service may receive gets a page naming the field, never a stack trace. A
// page route the portal registers and this table does not list fails the test.

const PAGES: Record<string, Access> = {
  ...MUNICIPALITY_PAGES,
  ...MONEY_PAGES,
  ...DASHBOARD_PAGES,
  ...OFFICE_ACTING_PAGES,
  ...MUNICIPALITY_SETTINGS_PAGES,
  ...OFFICE_IMPORT_PAGES,
  "GET /": "public",
  "GET /programs/:id": "public",
  "GET /campaigns/:id": "public",
  "GET /sign-in": "public",
  "POST /sign-in/dev": "public",
  "POST /sign-out": "any-signed-in",
  "GET /settings": "public",
  "GET /assets/portal.css": "public",
  "GET /assets/portal.js": "public",
  "GET /*": "public",
  "POST /*": "public",
  "GET /family": "guardian",
  "POST /family/registration": "guardian",
  "GET /family/children/new": "guardian",
  "POST /family/children": "guardian",
  "GET /family/children/:id": "guardian",
  "POST /family/children/:id/certificate": "guardian",
  "POST /family/applications": "guardian",
  "GET /family/applications/:id/position": "guardian",
  "GET /family/applications/:id/position/stream": "guardian",
  "GET /family/offers/:id": "guardian",
  "POST /family/offers/:id/acceptance": "guardian",
  "POST /family/offers/:id/decline": "guardian",
  "GET /family/children/:id/absence": "guardian",
  "POST /family/children/:id/absence": "guardian",
  "POST /family/children/:id/marks": "guardian",
  "POST /family/enrollments/:id/transfer": "guardian",
  "GET /family/campaigns/:id/children/:childId": "guardian",
  "POST /family/campaigns/:id/children/:childId/choices": "guardian",
  "POST /family/campaigns/:id/children/:childId/withdrawal": "guardian",
  "GET /provider": "provider",
  "GET /provider/signals": "provider",
  "GET /provider/programs/new": "provider",
  "POST /provider/programs": "provider",
  "GET /provider/programs/:id": "provider",
  "POST /provider/programs/:id/groups": "provider",
  "POST /provider/programs/:id/publication": "provider",
  "POST /provider/programs/:id/withdrawal": "provider",
  "POST /provider/applications/:id/review": "provider",
  "GET /provider/groups/:id/lessons": "provider",
  "GET /provider/groups/:id/lessons/:lesson": "provider",
  "POST /provider/groups/:id/lessons/:lesson": "provider",
  "GET /provider/registers": "provider",
  "GET /provider/registers/:file": "provider",
  "POST /provider/advances": "provider",
  "GET /provider/groups/:id/roster": "provider",
  "POST /provider/groups/:id/walk-ins": "provider",
  "GET /office": "operator",
  "GET /office/families": "operator",
  "GET /office/category-claims": "operator",
  "POST /office/category-claims/:id/decision": "operator",
  "GET /office/duplicates": "operator",
  "POST /office/duplicates/:id/decision": "operator",
};

// The kit's own routes (health, metrics; /docs is Swagger UI's), answered as in every service.
const KIT = new Set(["GET /livez", "GET /readyz", "GET /metrics"]);
const ID = "01a241c0-7991-76ee-aaf2-7a034d59804e";
const urlOf = (route: string) => route.replace(":lesson", "2026-12-22T15:00").replace(/:id|:childId/g, ID).replace("*", "nowhere");

describe("the portal's pages: who may open each", () => {
  let h: Harness<object, HttpApp>;
  let backend: Server;
  const heard: string[] = [];
  const cookies: Record<Role, string> = { guardian: "", provider: "", operator: "", municipality: "", region: "", ministry: "" };
  const CSRF = "a".repeat(43);

  beforeAll(async () => {
    backend = createServer((req, res) => {
      heard.push(`${req.method} ${req.url}`);
      res.writeHead(404, { "content-type": "application/problem+json" }).end(JSON.stringify({ code: "NOT_FOUND", title: "not found", detail: "not found", status: 404 }));
    });
    await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    const urls = Object.fromEntries((["registry", "catalogue", "enrollment", "attendance", "payments", "statistics"] as ServiceName[]).map((s) => [s, base])) as Record<ServiceName, string>;
    h = await serviceHarness({
      service: "portal",
      isolation: "portal-pages",
      migrate: migratePortal,
      app: (c) => buildPortalApp({ logger: c.logger, auth: c.auth, metrics: c.metrics, pool: c.pool, clock: c.clock, services: new Services(urls, 2_000), secureCookies: true, sessionTtlS: 3_600, devSecret: c.auth.secret }),
    });
    const expiresAt = new Date(Date.now() + 3_600_000);
    cookies.guardian = await createSession(h.pool, { token: "t", actor: { subject: "g", role: "guardian", municipalityId: ID, guardianId: ID }, displayName: "Семья", expiresAt }, new Date());
    cookies.provider = await createSession(h.pool, { token: "t", actor: { subject: "p", role: "provider", municipalityId: ID, providerId: ID }, displayName: "Организация", expiresAt }, new Date());
    cookies.operator = await createSession(h.pool, { token: "t", actor: { subject: "o", role: "operator", municipalityId: ID }, displayName: "Оператор", expiresAt }, new Date());
    cookies.municipality = await createSession(h.pool, { token: "t", actor: { subject: "m", role: "municipality", municipalityId: ID }, displayName: "Управление", expiresAt }, new Date());
    cookies.region = await createSession(h.pool, { token: "t", actor: { subject: "r", role: "region", regionCode: "11" }, displayName: "Регион", expiresAt }, new Date());
    cookies.ministry = await createSession(h.pool, { token: "t", actor: { subject: "x", role: "ministry", allRegions: true }, displayName: "Министерство", expiresAt }, new Date());
  });
  afterAll(async () => {
    await h?.close();
    backend?.close();
  });

  const send = (route: string, session?: string, form: Record<string, string> = {}, csrf = CSRF) => {
    const [method, path] = route.split(" ") as ["GET" | "POST", string];
    const cookie = [`__Host-kruzhok-csrf=${csrf}`, ...(session ? [`__Host-kruzhok-session=${session}`] : [])].join("; ");
    return h.app.inject({
      method,
      url: urlOf(path),
      headers: { cookie, "accept-language": "ru", ...(method === "POST" && { "content-type": "application/x-www-form-urlencoded" }) },
      ...(method === "POST" && { payload: new URLSearchParams({ _csrf: CSRF, ...form }).toString() }),
    });
  };

  it("lists every page route the portal registers, and no route it does not", () => {
    const registered = routesOf(h.app)
      .map((r) => `${r.method} ${r.url}`)
      .filter((r) => !KIT.has(r) && !r.startsWith("HEAD ") && !r.includes(" /docs"));
    expect(registered.filter((r) => !(r in PAGES)), "routes missing from the table").toEqual([]);
    expect(Object.keys(PAGES).filter((r) => !registered.includes(r)), "rows naming no route").toEqual([]);
  });

  // Each guarded route with the first role it is for (the one its forms are posted as below).
  const guarded = Object.entries(PAGES).flatMap(([route, access]) => (ownersOf(access).length > 0 ? [[route, ownersOf(access)[0]!] as [string, Role]] : []));

  it.each(guarded)("%s: the signed-out are sent to sign in, every other role refused, no service called", async (route) => {
    const owners = ownersOf(PAGES[route]!);
    heard.length = 0;
    const signedOut = await send(route);
    expect(signedOut.statusCode).toBe(303);
    expect(signedOut.headers.location).toBe(`/sign-in?back=${encodeURIComponent(urlOf(route.split(" ")[1]!))}`);
    for (const stranger of ROLES.filter((role) => !owners.includes(role))) {
      const refused = await send(route, cookies[stranger]);
      expect(refused.statusCode, stranger).toBe(403);
      expect(refused.headers["content-type"]).toContain("text/html");
      expect(refused.body).toContain("Эта страница не для вашей роли");
    }
    expect(heard).toEqual([]);
  });

  it.each(Object.keys(PAGES).filter((r) => r.startsWith("POST ")))("%s: a post without its form token is refused, nothing called", async (route) => {
    heard.length = 0;
    const forged = await send(route, cookies.guardian, {}, "b".repeat(43));
    expect(forged.statusCode).toBe(403);
    expect(forged.body).toContain("Форма устарела");
    expect(heard).toEqual([]);
  });

  it("an expired or unknown session is no session", async () => {
    const unknown = await send("GET /family", "not-a-session");
    expect(unknown.statusCode).toBe(303);
  });

  it("input no service may receive gets a page naming the field, and reaches no service", async () => {
    heard.length = 0;
    const hidden = await send("POST /family/children", cookies.guardian, { firstName: "Ма\u200bрия", lastName: "Сюжетова" });
    expect(hidden.statusCode).toBe(400);
    expect(hidden.headers["content-type"]).toContain("text/html");
    expect(hidden.body).toContain("firstName");
    expect(hidden.body).not.toMatch(/at .+\.ts:\d+/);
    expect(heard).toEqual([]);
  });

  // The APIs' bad-input battery, as far as the portal itself must answer it: what no service may
  // receive is refused at the portal, beside the field it names, on every form of every page
  // (the values a service judges, such as 30 February or NaN, are the services' battery's).
  const posts = guarded.filter(([route]) => route.startsWith("POST "));
  const refusedAtTheEdge = [
    ["a zero-width space", "Ма\u200bрия"],
    ["a right-to-left override", "Иван\u202eова"],
    ["a homoglyph: Latin letters in a Cyrillic word", "Аnnа Иванова"],
  ] as const;
  it.each(posts.flatMap(([route, owner]) => refusedAtTheEdge.map(([what, value]) => [route, owner, what, value] as const)))(
    "%s as %s, %s in a field: a page naming the field, and no service called",
    async (route, owner, _what, value) => {
      heard.length = 0;
      const res = await send(route, cookies[owner], { comment: value });
      expect(res.statusCode).toBe(400);
      expect(res.headers["content-type"]).toContain("text/html");
      expect(res.body).toContain("comment");
      expect(res.body).not.toMatch(/at .+\.ts:\d+/);
      expect(heard).toEqual([]);
    },
  );

  it.each(posts)("%s as %s: a form over 64 KB is refused in words, and no service called", async (route, owner) => {
    heard.length = 0;
    const res = await send(route, cookies[owner], { comment: "ж".repeat(40_000) });
    expect(res.statusCode).toBe(413);
    expect(res.headers["content-type"]).toContain("text/html");
    expect(res.body).toContain("Форма слишком большая");
    expect(heard).toEqual([]);
  });

  it("a malformed id in the address is a page that does not exist", async () => {
    const res = await h.app.inject({ method: "GET", url: "/family/children/not-an-id", headers: { cookie: `__Host-kruzhok-session=${cookies.guardian}` } });
    expect(res.statusCode).toBe(404);
    expect(res.headers["content-type"]).toContain("text/html");
  });

  it("pages carry a strict content security policy, cookies are HttpOnly, Secure, SameSite", async () => {
    // A signed-in page (its sign-out button posts): the form token's cookie is set with it.
    const res = await h.app.inject({ method: "GET", url: "/family/children/new", headers: { "accept-language": "kk", cookie: `__Host-kruzhok-session=${cookies.guardian}` } });
    expect(res.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(res.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    // Helmet's headers for pages, not the APIs' set.
    expect(res.headers["referrer-policy"]).toBe("no-referrer");
    expect(res.headers["cross-origin-opener-policy"]).toBe("same-origin");
    const set = String(res.headers["set-cookie"]);
    expect(set).toMatch(/__Host-kruzhok-csrf=[\w-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax/);
    expect(res.body).toContain('<html lang="kk"');
    // An anonymous page without a form that posts draws no token and sets no cookie for one.
    const anonymous = await h.app.inject({ method: "GET", url: "/settings?lang=kk&back=/" });
    expect(String(anonymous.headers["set-cookie"])).not.toContain("kruzhok-csrf");
  });
});
