import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { serviceHarness, type Harness } from "@kruzhok/testkit";
import type { HttpApp } from "@kruzhok/http";
import { buildPortalApp } from "../../services/portal/src/app";
import { migratePortal } from "../../services/portal/src/migrations";
import { Services, type ServiceName } from "../../services/portal/src/api/client";
import { attendanceHarness } from "../../services/attendance/test/fixtures/attendance";
import { catalogueHarness } from "../../services/catalogue/test/fixtures/catalogue";
import { enrollmentHarness } from "../../services/enrollment/test/fixtures/enrollment";
import { paymentsHarness } from "../../services/payments/test/fixtures/payments";
import { registryHarness } from "../../services/registry/test/fixtures/registry";
import { statisticsHarness } from "../../services/statistics/test/fixtures/statistics";

/**
 * Each service's OpenAPI document as its app serves it at /docs/json, built by the app itself
 * (its own harness: the app needs its database to be built, not to describe itself). The
 * committed copies are `services/<name>/openapi.json`; test/openapi/openapi.int.test.ts fails
 * when they drift from the code, and writes them under `npm run generate`.
 */
export const SERVICES = ["registry", "catalogue", "enrollment", "attendance", "payments", "statistics", "portal"] as const;
export type DocumentedService = (typeof SERVICES)[number];

type AnyHarness = Harness<object, HttpApp>;

function portalHarness(label: string): Promise<AnyHarness> {
  // The portal describes its routes without calling the services: any address will do.
  const urls = Object.fromEntries((["registry", "catalogue", "enrollment", "attendance", "payments", "statistics"] as ServiceName[]).map((s) => [s, "http://127.0.0.1:9"])) as Record<ServiceName, string>;
  return serviceHarness({
    service: "portal",
    isolation: label,
    migrate: migratePortal,
    app: (c) => buildPortalApp({ logger: c.logger, auth: c.auth, metrics: c.metrics, pool: c.pool, clock: c.clock, services: new Services(urls, 5_000), secureCookies: true, sessionTtlS: 3_600, devSecret: c.auth.secret }),
  });
}

const harnesses: Record<DocumentedService, (label: string) => Promise<AnyHarness>> = {
  registry: (label) => registryHarness(label),
  catalogue: (label) => catalogueHarness(label),
  enrollment: (label) => enrollmentHarness(label),
  attendance: (label) => attendanceHarness(label),
  payments: (label) => paymentsHarness(label),
  statistics: (label) => statisticsHarness(label),
  portal: portalHarness,
};

/** The document the service's app serves, as JSON text with a final newline (the committed form). */
export async function documentOf(service: DocumentedService): Promise<string> {
  const h = await harnesses[service](`openapi-${service}`);
  try {
    const res = await h.app.inject({ method: "GET", url: "/docs/json" });
    if (res.statusCode !== 200) throw new Error(`${service} /docs/json answered ${res.statusCode}`);
    return `${JSON.stringify(res.json(), null, 2)}\n`;
  } finally {
    await h.close();
  }
}

export const committedPath = (service: DocumentedService) => fileURLToPath(new URL(`../../services/${service}/openapi.json`, import.meta.url));

export async function committed(service: DocumentedService): Promise<string | undefined> {
  try {
    return await readFile(committedPath(service), "utf8");
  } catch {
    return undefined;
  }
}

export async function writeCommitted(service: DocumentedService, text: string): Promise<void> {
  await writeFile(committedPath(service), text);
}
