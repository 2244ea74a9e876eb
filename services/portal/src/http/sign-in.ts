// Signing in and out. Development mode: a page listing the demo people by role (found through
// the services' own APIs), each a button that opens a session with a development token. OIDC
// mode: the region's identity provider (./oidc.ts) draws the sign-in page instead.
import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Actor } from "@kruzhok/actor";
import { signDevToken } from "@kruzhok/http";
import type { Pool } from "@kruzhok/postgres";
import type { Services } from "../api/client";
import type { Directory } from "../api/directory";
import type { Municipality } from "../api/types";
import type { PageContext } from "../pages/context";
import { html, type Html } from "../pages/html";
import { csrfInput, layout } from "../pages/layout";
import { createSession, deleteSession } from "../store/sessions";
import { homeOf, safeBack, sendPage, type CookieNames } from "./web";

export interface SignInOptions {
  pool: Pool;
  clock: () => Date;
  services: Services;
  directory: Directory;
  cookies: CookieNames;
  secureCookies: boolean;
  sessionTtlS: number;
  /** Development mode's signing secret; undefined in OIDC mode. */
  devSecret: string | undefined;
}

interface DemoPerson {
  role: "guardian" | "provider" | "operator" | "municipality" | "region" | "ministry";
  /** Every role but region and ministry. */
  municipalityId?: string;
  /** A region official's region. */
  regionCode?: string;
  id: string;
  name: string;
}

// Last names the registry's demo seed gives families (services/registry/scripts/seed.ts).
const DEMO_LAST_NAMES = ["Иванов", "Смирнов", "Абенов", "Ахметов"];
const DEMO_CACHE_MS = 60_000;

/** The demo people of each municipality, as the services know them. */
async function findDemoPeople(services: Services, municipalities: Municipality[], devSecret: string): Promise<DemoPerson[]> {
  const people: DemoPerson[] = [];
  await Promise.all(
    municipalities.map(async (m) => {
      const providers = await services.call<{ id: string; name: string; status?: string }[]>("registry", "GET", `/municipalities/${m.id}/providers`, { language: "ru" });
      if (providers.ok) {
        for (const p of providers.body.filter((p) => p.status === undefined || p.status === "approved").slice(0, 4)) {
          people.push({ role: "provider", municipalityId: m.id, id: p.id, name: p.name });
        }
      }
      const office: Actor = { subject: "portal-dev-sign-in", role: "operator", municipalityId: m.id };
      const token = await signDevToken(office, { secret: devSecret, ttl: "5m" });
      const seen = new Set<string>();
      for (const name of DEMO_LAST_NAMES) {
        if (seen.size >= 3) break;
        // The registry records every look-up of personal data with its basis: this one is the
        // development sign-in page's own, stated as a written request with that reference.
        const found = await services.call<{ guardians: { id: string; firstName: string; lastName: string }[] }[]>("registry", "GET", "/children", {
          language: "ru",
          token,
          query: { name },
          headers: { "acting-basis": "written_request; ref=dev-sign-in" },
        });
        if (!found.ok) continue;
        for (const guardian of found.body.flatMap((child) => child.guardians)) {
          if (seen.size >= 3 || seen.has(guardian.id)) continue;
          seen.add(guardian.id);
          people.push({ role: "guardian", municipalityId: m.id, id: guardian.id, name: `${guardian.firstName} ${guardian.lastName}` });
        }
      }
    }),
  );
  return people;
}

const DevSignIn = z.object({
  role: z.enum(["guardian", "provider", "operator", "municipality", "region", "ministry"]),
  municipalityId: z.uuid().optional(),
  regionCode: z
    .string()
    .regex(/^[0-9A-Za-z-]{1,16}$/)
    .optional(),
  /** Absent for a new family: a fresh guardian id, registered on the family's first page. */
  id: z.uuid().optional(),
  name: z.string().min(1).max(200),
  back: z.string().max(2_000).optional(),
});

export function signInRoutes(app: FastifyInstance, options: SignInOptions): void {
  const { pool, clock, services, directory, cookies, devSecret } = options;
  let demo: { at: number; people: DemoPerson[] } | undefined;

  const personButton = (ctx: PageContext, person: Omit<DemoPerson, "id"> & { id?: string }, back: string, label: string): Html =>
    html`<form method="post" action="/sign-in/dev" class="actions">
  ${csrfInput(ctx)}
  <input type="hidden" name="role" value="${person.role}">
  ${person.municipalityId ? html`<input type="hidden" name="municipalityId" value="${person.municipalityId}">` : ""}
  ${person.regionCode ? html`<input type="hidden" name="regionCode" value="${person.regionCode}">` : ""}
  ${person.id ? html`<input type="hidden" name="id" value="${person.id}">` : ""}
  <input type="hidden" name="name" value="${person.name}">
  <input type="hidden" name="back" value="${back}">
  <button type="submit" class="secondary">${label}</button>
</form>`;

  if (devSecret) devSignIn(devSecret);

  function devSignIn(secret: string): void {
    app.get<{ Querystring: { back?: string } }>("/sign-in", async (request, reply) => {
      const ctx = request.page;
      const { t } = ctx;
      const back = safeBack(request.query.back);
      const municipalities = await directory.municipalities();
      if (!demo || Date.now() - demo.at > DEMO_CACHE_MS) demo = { at: Date.now(), people: await findDemoPeople(services, municipalities, secret) };
      const people = demo.people;
      const body = html`<h1>${t("signIn.title")}</h1>
<p>${t("signIn.dev")}</p>
${municipalities.length === 0 ? html`<p>${t("signIn.none")}</p>` : ""}
${municipalities.map((m) => {
    const here = people.filter((p) => p.municipalityId === m.id);
    return html`<section aria-labelledby="m-${m.id}">
    <h2 id="m-${m.id}">${m.name}</h2>
    <h3>${t("signIn.newFamily")}</h3>
    <p class="hint">${t("signIn.newFamilyHint")}</p>
    ${personButton(ctx, { role: "guardian", municipalityId: m.id, name: t("signIn.newFamily") }, back, `${t("signIn.as")}: ${t("signIn.newFamily")} (${m.name})`)}
    <h3>${t("signIn.families")}</h3>
    ${here.filter((p) => p.role === "guardian").map((p) => personButton(ctx, p, back, `${t("signIn.as")}: ${p.name}`))}
    <h3>${t("signIn.providers")}</h3>
    ${here.filter((p) => p.role === "provider").map((p) => personButton(ctx, p, back, `${t("signIn.as")}: ${p.name}`))}
    <h3>${t("signIn.office")}</h3>
    ${personButton(ctx, { role: "operator", municipalityId: m.id, name: `${t("signIn.operator")} (${m.name})` }, back, `${t("signIn.as")}: ${t("signIn.operator")} (${m.name})`)}
    ${personButton(ctx, { role: "municipality", municipalityId: m.id, name: `${t("signIn.municipality")} (${m.name})` }, back, `${t("signIn.as")}: ${t("signIn.municipality")} (${m.name})`)}
</section>`;
})}
${municipalities.length === 0
    ? ""
    : html`<section aria-labelledby="officials">
  <h2 id="officials">${t("signIn.officials")}</h2>
  ${[...new Set(municipalities.map((m) => m.regionCode))].sort().map((code) => {
    const name = `${t("signIn.region", { code })}`;
    return personButton(ctx, { role: "region", regionCode: code, name }, back, `${t("signIn.as")}: ${name}`);
  })}
  ${personButton(ctx, { role: "ministry", name: t("signIn.ministry") }, back, `${t("signIn.as")}: ${t("signIn.ministry")}`)}
</section>`}`;
      return sendPage(reply, layout(ctx, { title: t("signIn.title"), body }));
    });

    app.post("/sign-in/dev", async (request, reply) => {
      const parsed = DevSignIn.safeParse(request.body);
      if (!parsed.success) return reply.redirect("/sign-in", 303);
      const { role, municipalityId, regionCode, name, back } = parsed.data;
      const id = parsed.data.id ?? randomUUID();
      const actor = devActor(role, id, municipalityId, regionCode);
      if (!actor) return reply.redirect("/sign-in", 303);
      const now = clock();
      const expiresAt = new Date(now.getTime() + options.sessionTtlS * 1_000);
      const token = await signDevToken(actor, { secret, ttl: `${options.sessionTtlS}s` });
      const sessionId = await createSession(pool, { token, actor, displayName: name, expiresAt }, now);
      reply.setCookie(cookies.session, sessionId, { path: "/", httpOnly: true, secure: options.secureCookies, sameSite: "lax", expires: expiresAt });
      const home = homeOf(role);
      return reply.redirect(back && safeBack(back) !== "/" ? safeBack(back) : home, 303);
    });
  }

  app.post("/sign-out", async (request, reply) => {
    const sessionId = request.cookies[cookies.session];
    if (sessionId) await deleteSession(pool, sessionId);
    reply.clearCookie(cookies.session, { path: "/", secure: options.secureCookies, httpOnly: true, sameSite: "lax" });
    return reply.redirect("/", 303);
  });
}

/** The actor of a development sign-in, or undefined when the form lacks the scope its role needs. */
function devActor(role: DemoPerson["role"], id: string, municipalityId: string | undefined, regionCode: string | undefined): Actor | undefined {
  if (role === "ministry") return { subject: "ministry", role, allRegions: true };
  if (role === "region") return regionCode ? { subject: `region-${regionCode}`, role, regionCode } : undefined;
  if (!municipalityId) return undefined;
  if (role === "guardian") return { subject: id, role, municipalityId, guardianId: id };
  if (role === "provider") return { subject: `provider-${id}`, role, municipalityId, providerId: id };
  return { subject: `${role}-${municipalityId}`, role, municipalityId };
}
