import { buildApp, createTokenVerifier, type HttpApp, type ServiceAppOptions } from "@kruzhok/http";
import type { Pool } from "@kruzhok/postgres";
import type { Services } from "./api/client";
import { Directory } from "./api/directory";
import { attendanceRoutes } from "./http/attendance";
import { familyRoutes } from "./http/family";
import { navigatorRoutes } from "./http/navigator";
import { oidcRoutes } from "./http/oidc";
import { officeRoutes } from "./http/office";
import { campaignPages } from "./http/campaigns";
import { programPages } from "./http/programs";
import { providerDeskRoutes, providerRoutes } from "./http/provider";
import { signInRoutes } from "./http/sign-in";
import { registerWeb } from "./http/web";
import { dashboardRoutes } from "./http/dashboard";
import { municipalityRoutes } from "./http/municipality";
import { municipalityMoneyRoutes } from "./http/municipality-money";
import { municipalitySettingsRoutes } from "./http/municipality-settings";
import { officeImportRoutes } from "./http/office-import";
import { officeActingRoutes } from "./http/office-acting";
import { renameSession } from "./store/sessions";

/** What each tag of the OpenAPI document groups, for the reader of /docs. */
export const portalTags: Readonly<Record<string, string>> = {};

export interface PortalAppOptions extends ServiceAppOptions {
  pool: Pool;
  clock: () => Date;
  services: Services;
  secureCookies: boolean;
  sessionTtlS: number;
  /** Development mode's token secret: the sign-in page of demo people; undefined in OIDC mode. */
  devSecret: string | undefined;
  /** OIDC mode: the portal as a client of the identity provider the services trust (AUTH_ISSUER). */
  oidc?: { clientId: string; clientSecret: string; scope: string; publicUrl: string };
}

/** The portal's app: pages over the services' APIs; never listens (main.ts does, tests use inject). */
export async function buildPortalApp(options: PortalAppOptions): Promise<HttpApp> {
  const { pool, clock, services, secureCookies, sessionTtlS, devSecret, oidc, ...http } = options;
  // Its answers are pages for browsers: helmet's set of headers for HTML, not the APIs' own.
  const app = await buildApp({ ...http, service: "portal", version: "1.0.0", answers: "pages", openapi: { port: 3000, tags: portalTags } });
  const directory = new Directory(services);
  app.addHook("onClose", async () => services.close());
  // Pages in a plugin of their own: their hooks, form parsing and error pages leave the kit's
  // health, metrics and docs routes as they are.
  await app.register(async (pages) => {
    const cookies = await registerWeb(pages, { pool, clock, secureCookies });
    navigatorRoutes(pages, { services, directory }, clock);
    signInRoutes(pages, { pool, clock, services, directory, cookies, secureCookies, sessionTtlS, devSecret });
    if (oidc && http.auth.mode === "oidc") {
      oidcRoutes(pages, {
        pool,
        clock,
        cookies,
        secureCookies,
        sessionTtlS,
        issuer: http.auth.issuer,
        resource: http.auth.audience,
        clientId: oidc.clientId,
        clientSecret: oidc.clientSecret,
        scope: oidc.scope,
        redirectUri: new URL("/sign-in/callback", oidc.publicUrl).href,
        verify: createTokenVerifier(http.auth),
      });
    }
    familyRoutes(pages, {
      services,
      directory,
      clock,
      renameSession: async (request, name) => {
        const id = request.cookies[cookies.session];
        if (id) await renameSession(pool, id, name);
      },
    });
    providerRoutes(pages, { services, directory });
    providerDeskRoutes(pages, { services, directory, clock });
    programPages(pages, { services, directory });
    campaignPages(pages, { services, directory });
    officeRoutes(pages, { services });
    attendanceRoutes(pages, { services, directory, clock });
    // Issue #18's officials: the municipality's administration, its money, the region's and
    // ministry's dashboard, the operator acting for a family (each area a module of its own).
    municipalityRoutes(pages, { services, directory, clock });
    municipalityMoneyRoutes(pages, { services, directory, clock });
    municipalitySettingsRoutes(pages, { services, directory, clock });
    officeImportRoutes(pages, { services, directory, clock });
    dashboardRoutes(pages, { services, directory, clock });
    officeActingRoutes(pages, { services, directory, clock });
  });
  return app;
}
