import { describe, expect, it } from "vitest";
import { SERVICES, committed, documentOf, writeCommitted } from "./documents";
import { redoclyProblems } from "./lint";
import { committedClientTypes, generatedClientTypes, writeClientTypes } from "./client";

// Each service's OpenAPI document: the committed copy is what the code serves, and Redocly's
// recommended rules find nothing in it, error or warning. `npm run generate` runs this file with
// UPDATE_OPENAPI=1, which writes the committed copies instead of comparing (the apps are built by
// their test harnesses, so the writing happens inside vitest).
describe.each(SERVICES)("the OpenAPI document of %s", (service) => {
  it("is committed as the code serves it, and passes Redocly's recommended rules", { timeout: 120_000 }, async () => {
    const served = await documentOf(service);
    const problems = await redoclyProblems(served, service);
    expect(problems, `Redocly on ${service}'s document`).toEqual([]);
    if (process.env.UPDATE_OPENAPI === "1") await writeCommitted(service, served);
    expect(await committed(service), `services/${service}/openapi.json differs from what the code serves: run \`npm run generate\``).toBe(served);
  });
});

// After the documents (a file's tests run in order): the registry's typed client for the system test.
describe("the registry's generated client types", () => {
  it("are what openapi-typescript makes of the committed document", { timeout: 60_000 }, async () => {
    const generated = await generatedClientTypes();
    if (process.env.UPDATE_OPENAPI === "1") await writeClientTypes(generated);
    expect(await committedClientTypes(), "test/system/clients/registry.ts differs from the generated types: run `npm run generate`").toBe(generated);
  });
});
