import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnrollmentEnded, EnrollmentStarted } from "@kruzhok/contracts";
import { DEV_AUTH_SECRET, type HttpApp } from "@kruzhok/http";
import { createLogger } from "@kruzhok/observability";
import { waitFor } from "@kruzhok/testkit";
import { buildCatalogueApp } from "../src/app";
import { SearchResult } from "../src/http/schemas";
import { SearchCache } from "../src/store/search-cache";
import { catalogueHarness, createProgram, publish, world, type CatalogueHarness, type World } from "./fixtures/catalogue";
import { chance, directions, fundingKinds, hhmm, randomGroup } from "./fixtures/random";

type Page = { items: { id: string }[]; total: number; nextCursor: string | null; facets: unknown };

const titles = ["Робототехника для школьников", "Шахматы", "Театральная студия «Маска»", "Футбол", "Юный эколог", "Домбыра үйірмесі", "Қазақ күресі", "Хоровое пение", "Программирование на Python", "Краеведение"];
const words = ["робототехнику", "шахматы", "театральная", "футболом", "эколог", "үйірме", "қазақ", "пение", "программирование", "для", "студия"];
const centre = { latitude: 53.0167, longitude: 158.65 };

// The answer cache may answer a search from memory, and shares facet counts between searches
// with equal `facetKey`s (store/search.ts); the index in memory computes searches without words
// (store/search-index.ts): all must give exactly what Postgres computes. Random programs, groups
// and taken seats; random filters, asked of an instance that caches and holds the index (each
// twice, so the second comes from the cache, and in an order that lets later searches reuse
// earlier counts) and of one whose cache never listens and that has no index, so that Postgres
// computes every answer. The next pages follow the cursors of one and of the other in turn: a
// cursor written from memory must lead Postgres to the same next page, and the other way round.
describe("navigator: cached answers and answers from the index in memory equal Postgres's, for random filters", () => {
  let h: CatalogueHarness;
  let computing: HttpApp;
  let uncached: SearchCache;
  let w: World;
  /** Open groups, for seats taken and freed between searches. */
  const groups: { groupId: string; programId: string }[] = [];
  // A failure names the seed (SEARCH_SEED=<seed> replays it).
  const c = chance();
  const { seed, random, pick, int } = c;

  beforeAll(async () => {
    h = await catalogueHarness("cat-search-random");
    // Never listening: every search bypasses the cache and is computed.
    uncached = new SearchCache();
    computing = await buildCatalogueApp({ pool: h.pool, clock: h.clock, searchCache: uncached, logger: createLogger({ service: "catalogue", level: "silent" }), auth: { mode: "dev", secret: DEV_AUTH_SECRET } });
    await computing.ready();

    w = await world(h);
    for (let i = 0; i < 30; i++) {
      const fundingKind = pick(fundingKinds);
      const min = int(5, 14);
      const programId = await createProgram(h, w, {
        title: pick(titles),
        direction: pick(directions),
        fundingKind,
        ageRange: { min, max: int(min, 17) },
        ...(fundingKind !== "financed" && { certification: null }),
        address: { text: `ул. Ленинская, ${i + 1}`, latitude: centre.latitude + (random() - 0.5) * 0.3, longitude: centre.longitude + (random() - 0.5) * 0.5 },
      });
      // A few stay drafts (never listed); most have one or two groups, some of them full.
      if (random() < 0.15) continue;
      for (let g = int(0, 2); g > 0; g--) groups.push(await randomGroup(h, w, c, programId, 6));
      await publish(h, w, programId);
    }
  });
  afterAll(async () => {
    await computing?.close();
    await uncached?.stop();
    await h.close();
  });

  /** One random search: any subset of the filters, a small page so that cursors are followed. */
  const randomQuery = (): Record<string, string> => {
    const query: Record<string, string> = { municipalityId: w.municipalityId, limit: String(int(1, 6)) };
    if (random() < 0.4) query.direction = pick(directions);
    if (random() < 0.4) query.fundingKind = pick(fundingKinds);
    if (random() < 0.4) query.age = String(int(5, 17));
    if (random() < 0.3) query.q = pick(words);
    if (random() < 0.35) {
      query.lat = (centre.latitude + (random() - 0.5) * 0.2).toFixed(4);
      query.lon = (centre.longitude + (random() - 0.5) * 0.3).toFixed(4);
      if (random() < 0.5) query.radiusKm = String(int(2, 12));
    }
    if (random() < 0.3) query.weekday = String(int(1, 6));
    if (random() < 0.25) {
      const from = int(16, 36) * 30;
      query.from = hhmm(from);
      if (random() < 0.7) query.to = hhmm(from + int(2, 8) * 30);
    }
    if (random() < 0.3) query.freeSeats = "true";
    return query;
  };

  const get = async (app: HttpApp, query: Record<string, string>): Promise<Page> => {
    const res = await app.inject({ method: "GET", url: `/search?${new URLSearchParams(query).toString()}` });
    expect(res.statusCode, `seed ${seed}: ${res.body}`).toBe(200);
    // The route writes its answer without encoding it through the schema: it must already be what the schema gives.
    const body = res.json<Page>();
    expect(SearchResult.parse(body), `seed ${seed}`).toStrictEqual(body);
    return body;
  };
  /**
   * The page with its cursor read: the distance a cursor carries is computed from memory with
   * V8's sine and cosine, which may differ from glibc's in the last bits (1e-9 m); either side
   * computes its own key for the cursor's row again, so only the order and the row must agree.
   */
  const readable = (page: Page) => {
    if (!page.nextCursor) return page;
    const [order, key, id] = JSON.parse(Buffer.from(page.nextCursor, "base64url").toString("utf8")) as [string, number | null, string];
    return { ...page, nextCursor: [order, key === null ? null : Number(key.toPrecision(9)), id] };
  };
  const computedBy = async (source: "memory" | "postgres") =>
    Number(new RegExp(`catalogue_search_computed_total\\{[^}]*source="${source}"[^}]*\\} (\\d+)`).exec((await h.app.inject({ method: "GET", url: "/metrics" })).body)?.[1] ?? 0);

  it("gives, for every random search and each next page, the answer computed afresh, while seats are taken and freed", async () => {
    const hits = async () => Number(/catalogue_search_cache_total\{[^}]*outcome="hit"[^}]*\} (\d+)/.exec((await h.app.inject({ method: "GET", url: "/metrics" })).body)?.[1] ?? 0);
    // The setup's last changes keep the municipality's searches away from the cache until their
    // commits' notifications are back: wait for a search answered from memory first.
    const probe = { municipalityId: w.municipalityId, limit: "1" };
    await waitFor(async () => {
      await get(h.app, probe);
      const before = await hits();
      await get(h.app, probe);
      return (await hits()) > before ? true : undefined;
    }, { timeoutMs: 2_000, what: "the cache answering from memory" });
    await waitFor(() => (h.searchIndex.holds(w.municipalityId) ? true : undefined), { timeoutMs: 5_000, what: "the index holding the municipality" });
    const hitsBefore = await hits();
    const fromMemoryBefore = await computedBy("memory");
    let withoutWords = 0;
    let asked = 0;
    let nonEmpty = 0;
    const active: { enrollmentId: string; groupId: string; programId: string; childId: string }[] = [];
    let seatChanges = 0;
    for (let i = 0; i < 60; i++) {
      // Now and then a seat is taken or freed (as enrollment reports it): the answers it alters
      // must go, and the rest may stay (store/search-cache.ts).
      if (i % 4 === 3) {
        if (active.length > 0 && random() < 0.4) {
          const seat = active.splice(int(0, active.length - 1), 1)[0]!;
          await h.deliver(EnrollmentEnded, { municipalityId: w.municipalityId, aggregateId: seat.enrollmentId }, { ...seat, reason: "withdrawn" });
        } else {
          const seat = { enrollmentId: randomUUID(), ...pick(groups), childId: randomUUID() };
          await h.deliver(EnrollmentStarted, { municipalityId: w.municipalityId, aggregateId: seat.enrollmentId }, seat);
          active.push(seat);
        }
        seatChanges++;
      }
      let query = randomQuery();
      // Every page of the search, so the cursor's answers are compared too.
      for (let pages = 0; pages < 4; pages++) {
        const what = `seed ${seed}, search ${i}, page ${pages + 1}: ${new URLSearchParams(query).toString()}`;
        const first = await get(h.app, query);
        const again = await get(h.app, query);
        const computed = await get(computing, query);
        expect(readable(first), what).toEqual(readable(computed));
        expect(readable(again), what).toEqual(readable(computed));
        asked++;
        if (!query.q) withoutWords++;
        if (computed.total > 0) nonEmpty++;
        if (!computed.nextCursor || !first.nextCursor) break;
        query = { ...query, cursor: pages % 2 === 0 ? first.nextCursor : computed.nextCursor };
      }
    }
    // The comparison is only worth something if the searches found programs and were cached.
    expect(nonEmpty, `seed ${seed}`).toBeGreaterThan(20);
    // The second asking of a search comes from memory, but for those asked while a seat change
    // of this process was on its way back (they skip the cache until its notification is heard).
    expect(seatChanges).toBe(15);
    expect((await hits()) - hitsBefore, `seed ${seed}`).toBeGreaterThanOrEqual(asked / 2);
    // And the index computed most searches without words that the cache did not answer: each is
    // asked twice, the first computed (from memory, but while a seat change is being read again
    // and may alter the answer).
    expect((await computedBy("memory")) - fromMemoryBefore, `seed ${seed}`).toBeGreaterThanOrEqual(withoutWords / 2);
  });
});
