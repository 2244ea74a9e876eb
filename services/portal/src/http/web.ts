// The pages' common ground: cookies, form bodies, the language and display mode a person chose,
// the session, the double-submit form token, the two assets, and one error handler that answers
// with a page in the person's language (never a stack trace).
import { randomBytes, timingSafeEqual } from "node:crypto";
import fastifyCookie from "@fastify/cookie";
import fastifyFormbody from "@fastify/formbody";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Role } from "@kruzhok/actor";
import { FamilyLanguages, familyLanguage, type FamilyLanguage } from "@kruzhok/i18n";
import { toProblem } from "@kruzhok/http";
import type { Pool } from "@kruzhok/postgres";
import { z } from "zod";
import { ServiceUnavailable } from "../api/client";
import { SCRIPT, STYLES } from "../pages/assets";
import { languageTools, type PageContext } from "../pages/context";
import { html, type Html } from "../pages/html";
import { layout, messagePage } from "../pages/layout";
import { findSession } from "../store/sessions";

declare module "fastify" {
  interface FastifyRequest {
    page: PageContext;
  }
}

export interface CookieNames {
  session: string;
  csrf: string;
  language: string;
  contrast: string;
}

/** `__Host-` cookies: Secure, Path=/, no Domain, so no other site or subdomain can set them. */
export function cookieNames(secure: boolean): CookieNames {
  const prefix = secure ? "__Host-" : "";
  return { session: `${prefix}kruzhok-session`, csrf: `${prefix}kruzhok-csrf`, language: "kruzhok-lang", contrast: "kruzhok-contrast" };
}

export interface WebOptions {
  pool: Pool;
  clock: () => Date;
  secureCookies: boolean;
}

const YEAR_S = 365 * 24 * 60 * 60;

/** The content security policy of pages: their own style sheet, script and forms only. */
const PAGE_CSP =
  "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Only a path of this site: never `//host` or a scheme, so a link cannot send a person elsewhere. */
export function safeBack(value: unknown): string {
  return typeof value === "string" && value.startsWith("/") && !value.startsWith("//") && !value.startsWith("/\\") ? value : "/";
}

export async function registerWeb(app: FastifyInstance, options: WebOptions): Promise<CookieNames> {
  const names = cookieNames(options.secureCookies);
  const cookieBase = { path: "/", secure: options.secureCookies, sameSite: "lax" as const, httpOnly: true };
  // Pages are the portal's own: the person is known from the session cookie, not a bearer token.
  app.addHook("onRoute", (route) => {
    route.config = { ...route.config, public: true };
    route.schema = { ...route.schema, hide: true };
  });
  await app.register(fastifyCookie);
  await app.register(fastifyFormbody, { bodyLimit: 64 * 1024 });

  app.addHook("onRequest", async (request, reply) => {
    reply.header("content-security-policy", PAGE_CSP);
    const cookies = request.cookies;
    const chosen = cookies[names.language];
    const language: FamilyLanguage = FamilyLanguages.includes(chosen as FamilyLanguage) ? (chosen as FamilyLanguage) : familyLanguage(request.headers["accept-language"]);
    const sessionId = cookies[names.session];
    const session = sessionId ? await findSession(options.pool, sessionId, options.clock()) : undefined;
    // The form token is drawn (and its cookie set) only when a page draws a form that posts: an
    // anonymous visitor's search pages carry none, and pay nothing for one.
    let csrf = cookies[names.csrf];
    if (csrf !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(csrf)) csrf = undefined;
    const formToken = () => {
      if (csrf === undefined) {
        csrf = randomBytes(32).toString("base64url");
        reply.setCookie(names.csrf, csrf, cookieBase);
      }
      return csrf;
    };
    request.page = {
      language,
      ...languageTools(language),
      person: session && { actor: session.actor, displayName: session.displayName, token: session.token },
      get csrf() {
        return formToken();
      },
      contrast: cookies[names.contrast] === "on",
      path: request.url,
      requestId: request.id,
    };
  });

  // Every form posts the token it was drawn with; a post from another site cannot know it.
  app.addHook("preHandler", async (request, reply) => {
    if (request.method !== "POST") return;
    const sent = (request.body as Record<string, unknown> | undefined)?._csrf;
    const cookie = request.cookies[names.csrf];
    if (typeof sent !== "string" || !cookie || !sameToken(sent, cookie)) {
      const { t } = request.page;
      return sendPage(reply.code(403), messagePage(request.page, t("error.csrf"), t("error.csrfText")));
    }
    return undefined;
  });

  app.get("/assets/portal.css", async (_request, reply) =>
    reply.header("cache-control", "public, max-age=3600").type("text/css; charset=utf-8").send(STYLES),
  );
  app.get("/assets/portal.js", async (_request, reply) =>
    reply.header("cache-control", "public, max-age=3600").type("text/javascript; charset=utf-8").send(SCRIPT),
  );

  // The language and the display mode: links that work without a script, remembered for a year.
  app.get<{ Querystring: Record<string, string | undefined> }>("/settings", async (request, reply) => {
    const { lang, contrast, back } = request.query;
    if (lang === "ru" || lang === "kk") reply.setCookie(names.language, lang, { ...cookieBase, maxAge: YEAR_S });
    if (contrast === "on" || contrast === "off") reply.setCookie(names.contrast, contrast, { ...cookieBase, maxAge: YEAR_S });
    return reply.redirect(safeBack(back), 303);
  });

  // The kit answers unknown API paths with a problem document; a person gets a page. (A
  // wildcard route: the kit's not-found handler owns the root prefix.)
  app.get("/*", notFoundPage);
  app.post("/*", notFoundPage);

  app.setErrorHandler(async (error, request, reply) => {
    // A hook that failed before the context was made (the session store down) still answers.
    const ctx = (request.page as PageContext | undefined) ?? fallbackContext(request);
    const { t } = ctx;
    if (error instanceof ServiceUnavailable) {
      request.log.warn({ service: error.service, err: error.cause }, "service unavailable for a page");
      return sendPage(reply.code(503).header("retry-after", "30"), messagePage(ctx, t("error.unavailable"), t("error.unavailableText")));
    }
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    // Input no service may receive (invisible characters, mixed alphabets in a word), refused by
    // the kit before any handler: each field and its rule in the person's language.
    const problem = toProblem(error, { instance: request.url, requestId: request.id, language: ctx.language });
    if (problem.body.status === 400 && problem.body.invalidParams) {
      request.log.info({ code: problem.body.code, fields: problem.body.invalidParams.map((p) => p.name) }, "page input refused");
      const items = problem.body.invalidParams.map((p) => html`<li>${p.name.replace(/^body\./, "")}: ${p.reason}</li>`);
      return sendPage(reply.code(400), layout(ctx, { title: t("form.errors"), body: html`<div class="error-summary" role="alert"><h1>${t("form.errors")}</h1><ul>${items}</ul></div><p><a href="${safeBack(request.headers.referer === undefined ? "/" : new URL(request.headers.referer, "http://x").pathname)}">${t("error.back")}</a></p>` }));
    }
    if (status === 413) {
      request.log.info({ status }, "page form too large");
      return sendPage(reply.code(413), messagePage(ctx, t("error.tooLarge"), t("error.tooLargeText")));
    }
    if (status >= 400 && status < 500) {
      // A malformed id in the address is a page that does not exist; the rest, input the
      // services' rules refuse before any form could (invisible characters): told in words.
      request.log.info({ code: (error as { code?: string }).code, status }, "page request refused");
      return sendPage(reply.code(404), messagePage(ctx, t("error.notFound"), t("error.notFoundText")));
    }
    request.log.error({ err: error }, "page failed");
    return sendPage(reply.code(500), messagePage(ctx, t("error.unavailable"), `${t("error.unavailableText")} (${request.id})`));
  });
  return names;
}

function fallbackContext(request: FastifyRequest): PageContext {
  const language = familyLanguage(request.headers["accept-language"]);
  return { language, ...languageTools(language), person: undefined, csrf: "", contrast: false, path: "/", requestId: request.id };
}

export function sendPage(reply: FastifyReply, page: Html): FastifyReply {
  return reply.header("cache-control", "no-store").type("text/html; charset=utf-8").send(page.text);
}

/**
 * The signed-in person of one of `roles`, or the page answered already: signed out → the sign-in
 * page (and back here after), another role → 403 in words. Returns undefined when answered.
 */
export function personOf(request: FastifyRequest, reply: FastifyReply, ...roles: Role[]): NonNullable<PageContext["person"]> | undefined {
  const { person, t } = request.page;
  if (!person) {
    void reply.redirect(`/sign-in?back=${encodeURIComponent(request.url)}`, 303);
    return undefined;
  }
  if (!roles.includes(person.actor.role)) {
    void sendPage(reply.code(403), messagePage(request.page, t("error.forbidden"), t("error.forbiddenText")));
    return undefined;
  }
  return person;
}

/** The page that does not exist (or is not this person's to see: the same words, the address tells nothing). */
export function notFoundPage(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { t } = request.page;
  return sendPage(reply.code(404), messagePage(request.page, t("error.notFound"), t("error.notFoundText")));
}

/** How a page calls a service for the person: their token, their language, the page's request id. */
export function asPerson(ctx: PageContext, token: string | undefined): { language: PageContext["language"]; requestId: string; token: string | undefined } {
  return { language: ctx.language, requestId: ctx.requestId, token };
}

const IdParam = z.object({ id: z.uuid() });

/**
 * `personOf` for a page about one thing named by `:id` in the address: the person and the id, or
 * the page answered already (sign-in, 403, or not found for an id that is none).
 */
export function personAndId(request: FastifyRequest, reply: FastifyReply, ...roles: Role[]): { person: NonNullable<PageContext["person"]>; id: string } | undefined {
  const found = personAndParams(request, reply, IdParam, ...roles);
  return found && { person: found.person, id: found.params.id };
}

/** `personAndId` for an address that names several things (`/campaigns/:id/children/:childId`): their schema says which. */
export function personAndParams<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  schema: z.ZodType<T>,
  ...roles: Role[]
): { person: NonNullable<PageContext["person"]>; params: T } | undefined {
  const person = personOf(request, reply, ...roles);
  if (!person) return undefined;
  const params = schema.safeParse(request.params);
  if (!params.success) {
    notFoundPage(request, reply);
    return undefined;
  }
  return { person, params: params.data };
}

export const notice = (text: string): Html => html`<div class="notice" role="status">${text}</div>`;

/** Where each role's pages begin. */
export function homeOf(role: string): string {
  switch (role) {
    case "guardian":
      return "/family";
    case "provider":
      return "/provider";
    case "operator":
      return "/office";
    case "municipality":
      return "/municipality";
    default:
      return "/dashboard";
  }
}
