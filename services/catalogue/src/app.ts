import { buildApp, type HttpApp, type ServiceAppOptions } from "@kruzhok/http";
import type { CatalogueDeps } from "./deps";
import { groupRoutes } from "./http/groups";
import { programRoutes } from "./http/programs";
import { reviewRoutes } from "./http/reviews";
import { searchRoutes } from "./http/search";

/** What each tag of the OpenAPI document groups, for the reader of /docs. */
export const catalogueTags: Readonly<Record<string, string>> = {
  groups: "Groups of a program: schedules, capacity, seats, opening and closing",
  navigator: "The families' search of programs, public",
  programs: "A provider's programs: description, ages, hours, price, certification",
  reviews: "Families' reviews of programs",
};

export type CatalogueAppOptions = ServiceAppOptions & CatalogueDeps;

/** The catalogue's HTTP app; never listens (main.ts does, tests use inject). */
export async function buildCatalogueApp(options: CatalogueAppOptions): Promise<HttpApp> {
  const { pool, clock, searchCache, searchIndex, ...http } = options;
  const app = await buildApp({ ...http, service: "catalogue", version: "1.0.0", openapi: { port: 3002, tags: catalogueTags }, idempotency: { pool } });
  const deps: CatalogueDeps = { pool, clock, searchCache, searchIndex };
  await app.register(programRoutes, deps);
  await app.register(groupRoutes, deps);
  await app.register(reviewRoutes, deps);
  await app.register(searchRoutes, deps);
  return app;
}
