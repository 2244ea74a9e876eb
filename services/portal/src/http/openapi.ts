import { describingDeps, openApiText } from "@kruzhok/http";
import { Services, type ServiceName } from "../api/client";
import { buildPortalApp } from "../app";

/**
 * The portal's OpenAPI document (the committed `services/portal/openapi.json`): its pages are
 * HTML for people and are hidden from it (`schema.hide`), so it lists no operation; it is kept so
 * that /docs/json says so rather than guessing. Built with dependencies that never connect
 * (describingDeps); `npm run generate` writes it; test/openapi checks it.
 */
export async function openApiDocument(): Promise<string> {
  const deps = describingDeps("portal");
  // Never called: describing the routes calls no service.
  const nowhere = "http://openapi.invalid";
  const urls = Object.fromEntries((["registry", "catalogue", "enrollment", "attendance", "payments", "statistics"] satisfies ServiceName[]).map((s) => [s, nowhere])) as Record<ServiceName, string>;
  try {
    return await openApiText(
      await buildPortalApp({ pool: deps.pool, clock: deps.clock, logger: deps.logger, metrics: deps.metrics, auth: deps.auth, services: new Services(urls, 5_000), secureCookies: true, sessionTtlS: 3_600, devSecret: deps.auth.mode === "dev" ? deps.auth.secret : undefined }),
    );
  } finally {
    await deps.close();
  }
}
