import { buildApp, type HttpApp, type ServiceAppOptions } from "@kruzhok/http";
import type { RegistryDeps } from "./deps";
import { certificatesRoutes } from "./http/certificates";
import { childImportRoutes } from "./http/child-imports";
import { municipalityRoutes } from "./http/municipalities";
import { peopleRoutes } from "./http/people";
import { providersRoutes } from "./http/providers";

/** What each tag of the OpenAPI document groups, for the reader of /docs. */
export const registryTags: Readonly<Record<string, string>> = {
  certificates: "A child's certificate: applied for, issued, financed for a year, suspended, resumed, moved to another municipality, closed",
  "child imports": "A municipality's bulk import of children from a CSV file, and its progress and refused rows",
  "guardians and children": "Families: guardians and children registered at the office or by themselves, category claims, the family's audit trail",
  municipalities: "Municipalities and each year's rules (nominal, budget, cap, queue categories), versioned from a date",
  providers: "Providers of supplementary education: applications, vetting by the region and municipality, suspension",
};

export type RegistryAppOptions = ServiceAppOptions & RegistryDeps;

/** The registry's HTTP app; never listens (main.ts does, tests use inject). */
export async function buildRegistryApp(options: RegistryAppOptions): Promise<HttpApp> {
  const { pool, clock, ...http } = options;
  const app = await buildApp({ ...http, service: "registry", version: "1.0.0", openapi: { port: 3001, tags: registryTags }, idempotency: { pool } });
  const deps: RegistryDeps = { pool, clock };
  await app.register(municipalityRoutes, deps);
  await app.register(peopleRoutes, deps);
  await app.register(certificatesRoutes, deps);
  await app.register(providersRoutes, deps);
  await app.register(childImportRoutes, deps);
  return app;
}
