import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { openApiDocument as attendance } from "../../services/attendance/src/http/openapi";
import { openApiDocument as catalogue } from "../../services/catalogue/src/http/openapi";
import { openApiDocument as enrollment } from "../../services/enrollment/src/http/openapi";
import { openApiDocument as payments } from "../../services/payments/src/http/openapi";
import { openApiDocument as portal } from "../../services/portal/src/http/openapi";
import { openApiDocument as registry } from "../../services/registry/src/http/openapi";
import { openApiDocument as statistics } from "../../services/statistics/src/http/openapi";

/**
 * Each service's OpenAPI document as its app serves it at /docs/json, built from the code alone
 * (services/<name>/src/http/openapi.ts: no Postgres, Redis or Kafka). The committed copies are
 * `services/<name>/openapi.json`, written by each service's `generate` script (`npm run
 * generate`); test/openapi/openapi.unit.test.ts fails when they drift from the code.
 */
export const SERVICES = ["registry", "catalogue", "enrollment", "attendance", "payments", "statistics", "portal"] as const;
export type DocumentedService = (typeof SERVICES)[number];

const describers: Record<DocumentedService, () => Promise<string>> = { registry, catalogue, enrollment, attendance, payments, statistics, portal };

/** The document the service's app serves, as JSON text with a final newline (the committed form). */
export const documentOf = (service: DocumentedService): Promise<string> => describers[service]();

export const committedPath = (service: DocumentedService) => fileURLToPath(new URL(`../../services/${service}/openapi.json`, import.meta.url));

export async function committed(service: DocumentedService): Promise<string | undefined> {
  try {
    return await readFile(committedPath(service), "utf8");
  } catch {
    return undefined;
  }
}
