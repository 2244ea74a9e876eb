import { describe, expect, it } from "vitest";
import { enrollmentHarness } from "../../services/enrollment/test/fixtures/enrollment";
import { registryHarness } from "../../services/registry/test/fixtures/registry";
import { statisticsHarness } from "../../services/statistics/test/fixtures/statistics";
import { documentOf } from "./documents";

// The committed documents are built with dependencies that never connect (describingDeps). This
// holds that shortcut honest: a service built as its tests build it, on its real database, Redis
// and change feed, serves the very same document at /docs/json. The three whose dependencies
// differ the most (a plain pool; a queue index and position cache on Redis; a change feed).
const harnesses = { registry: registryHarness, enrollment: enrollmentHarness, statistics: statisticsHarness } as const;

describe.each(Object.keys(harnesses) as (keyof typeof harnesses)[])("%s on its real dependencies", (service) => {
  it("serves at /docs/json the document built without them", { timeout: 120_000 }, async () => {
    const h = await harnesses[service](`openapi-${service}`);
    try {
      const res = await h.app.inject({ method: "GET", url: "/docs/json" });
      expect(res.statusCode).toBe(200);
      expect(`${JSON.stringify(res.json(), null, 2)}\n`).toBe(await documentOf(service));
    } finally {
      await h.close();
    }
  });
});
