import { describe, expect, it } from "vitest";
import { operationIdOf } from "@kruzhok/http";
import { committedClientTypes, generatedClientTypes } from "./client";
import { SERVICES, committed, documentOf } from "./documents";
import { redoclyProblems } from "./lint";

// Each service's OpenAPI document, built from the code with nothing running (no database: a
// route's description queries nothing): the committed copy is what the code serves, and Redocly's
// recommended rules find nothing in it, error or warning.
describe.each(SERVICES)("the OpenAPI document of %s", (service) => {
  it("is committed as the code serves it", async () => {
    expect(await committed(service), `services/${service}/openapi.json differs from what the code serves: run \`npm run generate\``).toBe(await documentOf(service));
  });

  it("names every operation in its route: no operationId is the kit's fallback made from the method and path", async () => {
    const doc = JSON.parse(await documentOf(service)) as { paths: Record<string, Record<string, { operationId: string }>> };
    const fallbacks = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method, operation]) => operation.operationId === operationIdOf(method, path))
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(fallbacks, "give these routes an operationId in their schema").toEqual([]);
  });

  it("passes Redocly's recommended rules with no error or warning", async () => {
    expect(await redoclyProblems(await documentOf(service), service), `Redocly on ${service}'s document`).toEqual([]);
  });
});

describe("the registry's generated client types (test/system/clients/registry.ts)", () => {
  it("are what openapi-typescript makes of the document", async () => {
    expect(await committedClientTypes(), "test/system/clients/registry.ts differs from the generated types: run `npm run generate`").toBe(await generatedClientTypes());
  });
});
