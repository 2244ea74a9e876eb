import { describe, expect, it } from "vitest";
import { completeOpenApi, operationIdOf } from "../src/openapi";

describe("the kit's completion of a service's OpenAPI document", () => {
  it("names an operation by its method and path, parameters as By…", () => {
    expect(operationIdOf("get", "/municipalities/{id}/years/{year}")).toBe("getMunicipalitiesByIdYearsByYear");
    expect(operationIdOf("post", "/child-imports/{id}")).toBe("postChildImportsById");
    expect(operationIdOf("get", "/statistics/report.csv")).toBe("getStatisticsReportCsv");
  });

  it("gives each route the problems it can answer with, the Idempotency-Key on guarded POSTs, an optional bearer on public routes, and declares only what is used", () => {
    const doc = completeOpenApi(
      {
        security: [{ bearerAuth: [] }],
        paths: {
          "/children": { post: { summary: "Register a child", tags: ["people"], requestBody: { content: { "application/json": { schema: { type: "object" } } } }, responses: { "201": { description: "made" } } } },
          "/search": { get: { summary: "Search", security: [], responses: { "200": { description: "found" } } } },
        },
      },
      { service: "registry", port: 3001, idempotency: true, tags: { people: "Families" } },
    ) as unknown as { paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown>; parameters?: unknown[]; security?: unknown[] }>>; tags: unknown[]; components: { responses: Record<string, unknown> } };
    const post = doc.paths["/children"]!.post!;
    expect(post.operationId).toBe("postChildren");
    // With a body: 413 and 415 too.
    expect(Object.keys(post.responses).sort()).toEqual(["201", "400", "401", "403", "409", "413", "415", "422", "429", "500", "503"]);
    expect(post.parameters).toEqual([{ $ref: "#/components/parameters/IdempotencyKey" }]);
    const search = doc.paths["/search"]!.get!;
    // Public: no 401 or 403, no Idempotency-Key.
    expect(Object.keys(search.responses).sort()).toEqual(["200", "400", "429", "500", "503"]);
    expect(search.parameters).toBeUndefined();
    // Public, but a token is read when sent: optional, so that a client may send it.
    expect(search.security).toEqual([{}, { bearerAuth: [] }]);
    expect(post.security).toBeUndefined();
    expect(doc.tags).toEqual([{ name: "people", description: "Families" }, { name: "registry", description: "registry: registry" }]);
    expect(Object.keys(doc.components.responses).sort()).toEqual(["Problem400", "Problem401", "Problem403", "Problem409", "Problem413", "Problem415", "Problem422", "Problem429", "Problem500", "Problem503"]);
  });
});
