// Signing in through the region's identity provider (ESIA, eGov and the like sit behind it):
// OpenID Connect's authorization-code flow with PKCE, the portal a confidential client
// (openid-client). The browser carries only the `state` (in a __Host- cookie binding the callback
// to the browser that began it); the PKCE verifier and the nonce stay in the portal's database.
// The access token the provider issues is checked by the portal exactly as the services will
// check it (the kit's verifier: issuer, audience, Kruzhok's claims) before a session holds it, so
// a person is never signed in with a token every page would then have refused.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import * as client from "openid-client";
import type { TokenVerifier } from "@kruzhok/http";
import type { Pool } from "@kruzhok/postgres";
import { html } from "../pages/html";
import { layout, messagePage } from "../pages/layout";
import { createSession, saveSignInAttempt, takeSignInAttempt } from "../store/sessions";
import { homeOf, safeBack, sendPage, type CookieNames } from "./web";

export interface OidcOptions {
  pool: Pool;
  clock: () => Date;
  cookies: CookieNames;
  secureCookies: boolean;
  sessionTtlS: number;
  /** The provider (AUTH_ISSUER): its discovery document is at <issuer>/.well-known/openid-configuration. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  /** The API the access token is for (AUTH_AUDIENCE), asked for as an RFC 8707 resource when it is an absolute URI (as that RFC requires). */
  resource: string;
  /** <PORTAL_PUBLIC_URL>/sign-in/callback. */
  redirectUri: string;
  /** The services' own check of a token, giving the person it names. */
  verify: TokenVerifier;
}

const ATTEMPT_TTL_MS = 10 * 60_000;

/** A loopback provider over plain http (development and the tests): openid-client refuses http otherwise. */
const isLoopbackHttp = (url: URL) => url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);

export function oidcRoutes(app: FastifyInstance, options: OidcOptions): void {
  const { pool, clock, cookies } = options;
  const resource: Record<string, string> = URL.canParse(options.resource) ? { resource: options.resource } : {};
  const attemptCookie = options.secureCookies ? "__Host-kruzhok-sign-in" : "kruzhok-sign-in";
  const cookieOptions = { path: "/", httpOnly: true, secure: options.secureCookies, sameSite: "lax" as const };

  // The provider's metadata, fetched on the first sign-in and kept; a failure is forgotten, so the next sign-in asks again.
  let provider: Promise<client.Configuration> | undefined;
  const configuration = () => {
    const issuer = new URL(options.issuer);
    provider ??= client
      .discovery(issuer, options.clientId, undefined, client.ClientSecretPost(options.clientSecret), {
        execute: isLoopbackHttp(issuer) ? [client.allowInsecureRequests] : [],
        timeout: 10,
      })
      .catch((error: unknown) => {
        provider = undefined;
        throw error;
      });
    return provider;
  };

  const unavailable = (request: FastifyRequest, reply: FastifyReply, error: unknown) => {
    request.log.warn({ err: error }, "the identity provider did not answer");
    const { t } = request.page;
    return sendPage(reply.code(503).header("retry-after", "30"), messagePage(request.page, t("signIn.title"), t("signIn.providerDown")));
  };

  app.get<{ Querystring: { back?: string } }>("/sign-in", async (request, reply) => {
    const ctx = request.page;
    const { t } = ctx;
    const back = safeBack(request.query.back);
    const body = html`<h1>${t("signIn.title")}</h1>
<p>${t("signIn.oidc")}</p>
<p><a class="button" href="/sign-in/start?back=${encodeURIComponent(back)}">${t("signIn.start")}</a></p>`;
    return sendPage(reply, layout(ctx, { title: t("signIn.title"), body }));
  });

  app.get<{ Querystring: { back?: string } }>("/sign-in/start", async (request, reply) => {
    let config: client.Configuration;
    try {
      config = await configuration();
    } catch (error) {
      return unavailable(request, reply, error);
    }
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    const expiresAt = new Date(clock().getTime() + ATTEMPT_TTL_MS);
    await saveSignInAttempt(pool, state, { codeVerifier, nonce, back: safeBack(request.query.back) }, expiresAt);
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: options.redirectUri,
      scope: options.scope,
      ...resource,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: "S256",
      state,
      nonce,
      // The provider's pages in the person's language, where it has them.
      ui_locales: request.page.language,
    });
    reply.setCookie(attemptCookie, state, { ...cookieOptions, expires: expiresAt });
    return reply.redirect(url.href, 303);
  });

  app.get<{ Querystring: Record<string, string | undefined> }>("/sign-in/callback", async (request, reply) => {
    const ctx = request.page;
    const { t } = ctx;
    const refused = () => sendPage(reply.code(400), messagePage(ctx, t("signIn.title"), t("signIn.refused")));
    const state = request.query.state;
    const mine = request.cookies[attemptCookie];
    reply.clearCookie(attemptCookie, cookieOptions);
    // Only the browser that began the sign-in finishes it (no one else's code signs this person in).
    if (!state || !mine || state !== mine) return refused();
    const attempt = await takeSignInAttempt(pool, state, clock());
    if (!attempt) return refused();
    // The person said no, or the provider could not sign them in: they may try again.
    if (request.query.error) return sendPage(reply.code(400), messagePage(ctx, t("signIn.title"), t("signIn.cancelled")));
    let config: client.Configuration;
    try {
      config = await configuration();
    } catch (error) {
      return unavailable(request, reply, error);
    }
    const current = new URL(request.url, options.redirectUri);
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(
        config,
        current,
        { pkceCodeVerifier: attempt.codeVerifier, expectedState: state, expectedNonce: attempt.nonce, idTokenExpected: true },
        resource,
      );
    } catch (error) {
      // A code used twice, expired, or answered wrongly: nobody is signed in; the log says why.
      request.log.warn({ err: error }, "sign-in refused by the identity provider's answer");
      return refused();
    }
    let actor: Awaited<ReturnType<TokenVerifier>>;
    try {
      actor = await options.verify(tokens.access_token);
    } catch (error) {
      request.log.warn({ err: error }, "the identity provider's access token is not one the services accept");
      return sendPage(reply.code(403), messagePage(ctx, t("signIn.title"), t("signIn.noRole")));
    }
    const claims = tokens.claims();
    const named = [claims?.given_name, claims?.family_name].filter((part): part is string => typeof part === "string").join(" ");
    const displayName = (typeof claims?.name === "string" && claims.name) || named || actor.subject;
    const now = clock();
    const lifetimeS = Math.min(options.sessionTtlS, tokens.expires_in ?? options.sessionTtlS);
    const expiresAt = new Date(now.getTime() + lifetimeS * 1_000);
    const sessionId = await createSession(pool, { token: tokens.access_token, actor, displayName, expiresAt }, now);
    reply.setCookie(cookies.session, sessionId, { ...cookieOptions, expires: expiresAt });
    const home = homeOf(actor.role);
    return reply.redirect(attempt.back !== "/" ? attempt.back : home, 303);
  });
}
