import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { EnrollmentEnded, EnrollmentStarted, ProviderApproved, ProviderSuspended } from "@kruzhok/contracts";
import { DEV_AUTH_SECRET, type HttpApp } from "@kruzhok/http";
import { createLogger } from "@kruzhok/observability";
import { waitFor } from "@kruzhok/testkit";
import { buildCatalogueApp } from "../src/app";
import { SearchCache } from "../src/store/search-cache";
import { catalogueHarness, createGroup, createProgram, programBody, publish, world, type CatalogueHarness, type World } from "./fixtures/catalogue";

type Item = { id: string; title: string; freeSeats: number; acceptingApplications: boolean };
type Result = { items: Item[]; total: number; nextCursor: string | null; facets: { direction: Record<string, number>; fundingKind: Record<string, number> } };
type Outcomes = Record<"hit" | "shared" | "miss" | "bypass", number>;

// The navigator keeps whole answers in memory (src/store/search-cache.ts). Each test warms the
// cache, proves the next search is a hit, changes something search shows, and expects the very
// next search to show the change: within this process at once, across processes once Postgres
// delivers the commit's notification.
describe("navigator answer cache: a change is in the next search", () => {
  let h: CatalogueHarness;

  beforeAll(async () => {
    h = await catalogueHarness("cat-search-cache");
  });
  afterAll(async () => {
    await h.close();
  });

  const search = async (w: World, query = "", app: HttpApp = h.app): Promise<Result> => {
    const res = await app.inject({ method: "GET", url: `/search?municipalityId=${w.municipalityId}&${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<Result>();
  };
  const outcomes = async (app: HttpApp = h.app): Promise<Outcomes> => {
    const text = (await app.inject({ method: "GET", url: "/metrics" })).body;
    const count = (outcome: string) => Number(new RegExp(`catalogue_search_cache_total\\{[^}]*outcome="${outcome}"[^}]*\\} (\\d+)`).exec(text)?.[1] ?? 0);
    return { hit: count("hit"), shared: count("shared"), miss: count("miss"), bypass: count("bypass") };
  };
  /**
   * Searches until the same answer comes from memory, so that what the test checks next is
   * about a cached answer. (Right after a change of this process the first search or two skip
   * the cache, until the change's notification has come back.)
   */
  const cached = async (w: World, query = "", app: HttpApp = h.app): Promise<Result> => {
    const first = await search(w, query, app);
    await waitFor(async () => {
      const before = await outcomes(app);
      expect(await search(w, query, app)).toEqual(first);
      return (await outcomes(app)).hit > before.hit ? true : undefined;
    }, { timeoutMs: 2_000, what: `a cached answer to ${query || "the municipality"}` });
    return first;
  };
  const listedProgram = async (w: World, overrides: Record<string, unknown> = {}, group: Record<string, unknown> = {}) => {
    const programId = await createProgram(h, w, overrides);
    const groupId = await createGroup(h, w, programId, group);
    await publish(h, w, programId);
    return { programId, groupId };
  };
  const ids = (r: Result) => r.items.map((item) => item.id).sort();

  it("answers a repeated search from memory, and a publication is in the next search", async () => {
    const w = await world(h);
    const robots = await listedProgram(w);
    expect(ids(await cached(w))).toEqual([robots.programId]);

    const chess = await createProgram(h, w, { title: "Шахматы", direction: "physical_culture_and_sports", fundingKind: "paid", certification: null });
    await publish(h, w, chess);
    const after = await search(w);
    expect(ids(after)).toEqual([robots.programId, chess].sort());
    expect(after.total).toBe(2);
    expect(after.facets.direction).toMatchObject({ technical: 1, physical_culture_and_sports: 1 });
    expect(after.facets.fundingKind).toMatchObject({ financed: 1, paid: 1 });
  });

  it("shares facet counts between searches that count the same programs, and a change is in the next one's counts", async () => {
    const w = await world(h);
    await listedProgram(w);
    // Asked once: the counts of "the municipality's listed programs" are kept with it.
    expect((await cached(w)).facets.direction).toMatchObject({ technical: 1, arts: 0 });
    // Another answer (a direction the family picked, nearest first) over the same programs: its
    // counts are the kept ones, regrouped.
    const arts = await search(w, "direction=arts&lat=53.0167&lon=158.65");
    expect(arts.total).toBe(0);
    expect(arts.facets.direction).toMatchObject({ technical: 1, arts: 0 });

    // A publication: the next search never asked before counts it, though its counts' key was kept.
    const theatre = await createProgram(h, w, { title: "Театральная студия", direction: "arts" });
    await publish(h, w, theatre);
    const after = await search(w, "direction=arts&fundingKind=financed");
    expect(after.facets.direction).toMatchObject({ technical: 1, arts: 1 });
    expect(ids(after)).toEqual([theatre]);
  });

  it("drops a withdrawn program from the next search, its facets and a filtered search", async () => {
    const w = await world(h);
    const kept = await listedProgram(w);
    const gone = await listedProgram(w, { title: "Юный эколог", direction: "natural_science" });
    expect((await cached(w)).total).toBe(2);
    expect((await cached(w, "direction=natural_science")).total).toBe(1);

    const res = await h.app.inject({ method: "POST", url: `/programs/${gone.programId}/withdrawal`, headers: w.provider });
    expect(res.statusCode, res.body).toBe(200);
    const after = await search(w);
    expect(ids(after)).toEqual([kept.programId]);
    expect(after.facets.direction).toMatchObject({ technical: 1, natural_science: 0 });
    expect((await search(w, "direction=natural_science")).total).toBe(0);
  });

  it("hides a suspended provider's programs in the search right after the event, and shows them again on reinstatement", async () => {
    const w = await world(h);
    const { programId } = await listedProgram(w);
    expect(ids(await cached(w))).toEqual([programId]);
    expect(ids(await cached(w, `q=${encodeURIComponent("робототехника")}`))).toEqual([programId]);

    const origin = { municipalityId: w.municipalityId, aggregateId: w.providerId };
    await h.deliver(ProviderSuspended, origin, { providerId: w.providerId, kind: "private", name: "АНО «Робототехника для всех»", reason: "other" });
    expect((await search(w)).total).toBe(0);
    expect((await search(w, `q=${encodeURIComponent("робототехника")}`)).total).toBe(0);

    await h.deliver(ProviderApproved, origin, { providerId: w.providerId, kind: "private", name: "АНО «Робототехника для всех»" });
    expect(ids(await search(w))).toEqual([programId]);
  });

  it("follows seats: the last seat taken leaves 'only free seats' at once, and its return brings the program back", async () => {
    const w = await world(h);
    const { programId, groupId } = await listedProgram(w, {}, { capacity: 1 });
    expect((await cached(w)).items[0]).toMatchObject({ id: programId, freeSeats: 1 });
    expect(ids(await cached(w, "freeSeats=true"))).toEqual([programId]);
    expect(ids(await cached(w, "weekday=2&from=14:00&to=17:00&freeSeats=true"))).toEqual([programId]);

    const seat = { enrollmentId: randomUUID(), groupId, programId, childId: randomUUID() };
    const origin = { municipalityId: w.municipalityId, aggregateId: seat.enrollmentId };
    await h.deliver(EnrollmentStarted, origin, seat);
    expect((await search(w)).items[0]).toMatchObject({ id: programId, freeSeats: 0 });
    expect((await search(w, "freeSeats=true")).total).toBe(0);
    expect((await search(w, "weekday=2&from=14:00&to=17:00&freeSeats=true")).total).toBe(0);

    await h.deliver(EnrollmentEnded, origin, { ...seat, reason: "withdrawn" });
    expect((await search(w)).items[0]).toMatchObject({ id: programId, freeSeats: 1 });
    expect(ids(await search(w, "freeSeats=true"))).toEqual([programId]);
  });

  it("keeps the answers a taken seat does not alter, and drops those showing the program or filtered by free seats where it flipped (0008)", async () => {
    const w = await world(h);
    const robots = await listedProgram(w, {}, { capacity: 2 });
    const chess = await listedProgram(w, { title: "Шахматы", direction: "physical_culture_and_sports" });
    const sports = "direction=physical_culture_and_sports";
    expect(ids(await cached(w, sports))).toEqual([chess.programId]);
    expect((await cached(w)).items.find((item) => item.id === robots.programId)).toMatchObject({ freeSeats: 2 });
    const freeSports = `${sports}&freeSeats=true`;
    expect(ids(await cached(w, freeSports))).toEqual([chess.programId]);
    const take = async () => {
      const seat = { enrollmentId: randomUUID(), groupId: robots.groupId, programId: robots.programId, childId: randomUUID() };
      await h.deliver(EnrollmentStarted, { municipalityId: w.municipalityId, aggregateId: seat.enrollmentId }, seat);
    };
    await take();
    // Shows the program: its seats at once (this process's change keeps it from memory).
    expect((await search(w)).items.find((item) => item.id === robots.programId)).toMatchObject({ freeSeats: 1 });
    // Once the commit's notifications are back (the whole municipality answered from memory
    // again), the answers not showing the program are still the kept ones, the one filtered by
    // free seats too: the program still has one.
    await cached(w);
    let before = await outcomes();
    expect(ids(await search(w, sports))).toEqual([chess.programId]);
    expect(ids(await search(w, freeSports))).toEqual([chess.programId]);
    expect((await outcomes()).hit).toBe(before.hit + 2);

    // Its last seat: the answers filtered by free seats go too, though they do not show it,
    // when their weekly window holds one of its group's slots (Tuesdays and Thursdays 15:00-16:30).
    const tuesdaySports = `${freeSports}&weekday=2&from=14:00&to=17:00`;
    const wednesdaySports = `${freeSports}&weekday=3&from=14:00&to=17:00`;
    expect((await cached(w, tuesdaySports)).facets.direction).toMatchObject({ technical: 1, physical_culture_and_sports: 1 });
    await cached(w, wednesdaySports);
    await take();
    expect(ids(await search(w, "freeSeats=true"))).toEqual([chess.programId]);
    await cached(w);
    before = await outcomes();
    expect(ids(await search(w, sports))).toEqual([chess.programId]);
    expect((await search(w, wednesdaySports)).total).toBe(0);
    expect((await outcomes()).hit).toBe(before.hit + 2);
    expect(ids(await search(w, freeSports))).toEqual([chess.programId]);
    expect((await search(w, tuesdaySports)).facets.direction).toMatchObject({ technical: 0, physical_culture_and_sports: 1 });
    expect((await outcomes()).hit).toBe(before.hit + 2);

    // A seat changed by hand in psql is narrow too; a change of anything else with it is not.
    await cached(w);
    await h.pool.query("UPDATE programs SET free_seats = 7 WHERE id = $1", [robots.programId]);
    await waitFor(async () => ((await search(w)).items.find((item) => item.id === robots.programId)?.freeSeats === 7 ? true : undefined), { timeoutMs: 2_000, what: "the hand-made seat change" });
    await cached(w, sports);
    await h.pool.query("UPDATE programs SET free_seats = 6, title = 'Шахматы и шашки' WHERE id = $1", [chess.programId]);
    await waitFor(async () => ((await search(w, sports)).items[0]?.title === "Шахматы и шашки" ? true : undefined), { timeoutMs: 2_000, what: "the title changed with the seats" });
    // Answers dropped one by one (by seat changes) and wholesale leave nothing behind in the lists of who shows what.
    expect(h.searchCache.footprint()).toBe(h.searchCache.held());
  });

  it("is told of a write once per transaction, and not of a refused write or of a draft's edit", async () => {
    const w = await world(h);
    const draft = await createProgram(h, w);
    const { programId } = await listedProgram(w);
    await createGroup(h, w, programId);
    const changing = vi.spyOn(h.searchCache, "changing");
    try {
      const edit = await h.app.inject({ method: "PUT", url: `/programs/${draft}`, headers: w.provider, payload: programBody({ title: "Черновик" }) });
      expect(edit.statusCode, edit.body).toBe(200);
      const stranger = await h.as({ role: "provider", municipalityId: w.municipalityId, providerId: randomUUID() });
      expect((await h.app.inject({ method: "POST", url: `/programs/${programId}/withdrawal`, headers: stranger })).statusCode).toBe(403);
      expect(changing).not.toHaveBeenCalled();

      // The program and its two groups close in one transaction: one change of one municipality.
      const withdrawn = await h.app.inject({ method: "POST", url: `/programs/${programId}/withdrawal`, headers: w.provider });
      expect(withdrawn.statusCode, withdrawn.body).toBe(200);
      expect(changing.mock.calls.map(([, municipalityId]) => municipalityId)).toEqual([w.municipalityId]);
    } finally {
      changing.mockRestore();
    }
    expect((await search(w)).total).toBe(0);
  });

  it("keeps one municipality's answers when another municipality changes", async () => {
    const a = await world(h);
    const b = await world(h);
    await listedProgram(a);
    await cached(a);
    await listedProgram(b);
    const before = await outcomes();
    await search(a);
    expect((await outcomes()).hit).toBe(before.hit + 1);
  });

  it("shows the certification's expiry from the local midnight on, though the database did not change", async () => {
    const w = await world(h);
    const { programId } = await listedProgram(w); // certified until 2027-01-15; Kamchatka is UTC+12
    try {
      h.clock.set("2027-01-15T11:50:00Z"); // 23:50 local on the last day
      expect((await cached(w)).items[0]).toMatchObject({ id: programId, acceptingApplications: true });
      h.clock.set("2027-01-15T12:05:00Z"); // 00:05 local the next day
      expect((await search(w)).items[0]).toMatchObject({ id: programId, acceptingApplications: false });
    } finally {
      h.clock.set("2026-09-01T09:00:00Z");
    }
  });

  it("hears of a change another instance (or psql) commits through Postgres's notification", async () => {
    const w = await world(h);
    const { programId } = await listedProgram(w);
    const otherCache = new SearchCache();
    await otherCache.listen(h.pool);
    const other = await buildCatalogueApp({ pool: h.pool, clock: h.clock, searchCache: otherCache, logger: createLogger({ service: "catalogue", level: "silent" }), auth: { mode: "dev", secret: DEV_AUTH_SECRET } });
    try {
      await other.ready();
      expect(ids(await search(w, "", other))).toEqual([programId]);

      // Published through this instance: the other one sees it once the notification arrives.
      const second = await createProgram(h, w, { title: "Шахматы" });
      await publish(h, w, second);
      await waitFor(async () => ((await search(w, "", other)).total === 2 ? true : undefined), { timeoutMs: 2_000, what: "the other instance hearing of the publication" });

      // Changed by hand in the database: both instances hear of it.
      await cached(w);
      await h.pool.query("UPDATE programs SET title = 'Шахматы для всех' WHERE id = $1", [second]);
      for (const app of [h.app, other]) {
        await waitFor(async () => ((await search(w, "", app)).items.some((item) => item.title === "Шахматы для всех") ? true : undefined), {
          timeoutMs: 2_000,
          what: "the hand-made change in search",
        });
      }
    } finally {
      await other.close();
      await otherCache.stop();
    }
  });

  it("searches without the cache while its LISTEN connection is down, and caches again once it is back", async () => {
    const w = await world(h);
    const { programId } = await listedProgram(w);
    await cached(w);

    const { rows } = await h.pool.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN catalogue_search' AND pid <> pg_backend_pid()",
    );
    expect(rows.length).toBeGreaterThan(0); // ours, and perhaps a stopped instance's of the test before, on its way out
    for (const { pid } of rows) await h.pool.query("SELECT pg_terminate_backend($1)", [pid]);
    await waitFor(async () => {
      const before = await outcomes();
      await search(w);
      return (await outcomes()).bypass > before.bypass ? true : undefined;
    }, { what: "searches bypassing the cache" });

    // Nobody hears this change, and the search still shows it.
    await h.pool.query("UPDATE programs SET title = 'Робототехника: новый набор' WHERE id = $1", [programId]);
    expect((await search(w)).items[0]).toMatchObject({ id: programId, title: "Робототехника: новый набор" });

    await waitFor(async () => {
      await search(w);
      const before = await outcomes();
      await search(w);
      return (await outcomes()).hit > before.hit ? true : undefined;
    }, { what: "the cache listening again" });
    expect((await search(w)).items[0]).toMatchObject({ title: "Робототехника: новый набор" });
  });
});
