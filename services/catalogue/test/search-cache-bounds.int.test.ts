import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HttpApp } from "@kruzhok/http";
import { buildCatalogueApp } from "../src/app";
import { SearchCache } from "../src/store/search-cache";
import { catalogueHarness, world, type CatalogueHarness, type World } from "./fixtures/catalogue";

const MAX_BYTES = 1024 * 1024;

// The navigator's answer cache is bounded in bytes, whatever anonymous clients send: each
// padded request (a query of 8 KiB of spaces, which the schema trims to one word) used to be
// remembered whole for `answerSeen`, 100,000 of them, so that a few hundred megabytes of requests
// filled ~1.5 GiB while the answers' own bytes stayed under the bound.
describe("navigator answer cache: bounded in bytes", () => {
  let h: CatalogueHarness;
  let cache: SearchCache;
  let app: HttpApp;
  let w: World;

  beforeAll(async () => {
    h = await catalogueHarness("cat-search-bounds");
    cache = new SearchCache({ maxBytes: MAX_BYTES });
    await cache.listen(h.pool);
    app = await buildCatalogueApp({ pool: h.pool, clock: h.clock, searchCache: cache, logger: h.logger, auth: h.auth });
    await app.ready();
    w = await world(h);
  });
  afterAll(async () => {
    await app.close();
    await cache.stop();
    await h.close();
  });

  it("holds at most its bound (and an eighth for requests remembered) after 1,500 anonymous searches padded to 8 KiB, and still answers from memory", async () => {
    const padding = "%20".repeat(8 * 1024 / 3);
    for (let i = 0; i < 1_500; i++) {
      const res = await app.inject({ method: "GET", url: `/search?municipalityId=${w.municipalityId}&age=${5 + (i % 13)}&q=word${i}${padding}` });
      expect(res.statusCode, res.body).toBe(200);
    }
    expect(cache.footprint()).toBeLessThanOrEqual(MAX_BYTES * (1 + 1 / 8));
    // The running totals the bound is kept by are what the maps hold, after a thousand evictions.
    expect(cache.footprint()).toBe(cache.held());
    // Still a cache: the same search twice, the second from memory.
    const url = `/search?municipalityId=${w.municipalityId}&age=9`;
    const first = await app.inject({ method: "GET", url });
    const again = await app.inject({ method: "GET", url });
    expect(again.body).toBe(first.body);
    expect(cache.footprint()).toBeGreaterThan(0);
  });
});
