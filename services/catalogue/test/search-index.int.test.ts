import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnrollmentStarted, ProviderSuspended } from "@kruzhok/contracts";
import { waitFor } from "@kruzhok/testkit";
import { catalogueHarness, createGroup, createProgram, publish, world, type CatalogueHarness, type World } from "./fixtures/catalogue";

type Item = { id: string; freeSeats: number };
type Result = { items: Item[]; total: number };

// The index in memory (src/store/search-index.ts) answers searches without words once it holds
// their municipality, and is kept in step from the catalogue's change notifications: seats set
// in place, anything else by loading the municipality again, with Postgres answering meanwhile.
// Each test changes something search shows and expects the very next search to show it (from
// Postgres while the index catches up), then the index itself to answer with it. Every search
// here is new to the answer cache (a different page size), so each is computed.
describe("navigator index in memory: kept in step with every change", () => {
  let h: CatalogueHarness;
  let asked = 0;

  beforeAll(async () => {
    h = await catalogueHarness("cat-search-index");
  });
  afterAll(async () => {
    await h.close();
  });

  /** A search no earlier one asked (the page size differs), so the cache cannot answer it. */
  const search = async (w: World, query = ""): Promise<Result> => {
    asked++;
    const res = await h.app.inject({ method: "GET", url: `/search?municipalityId=${w.municipalityId}&limit=${(asked % 99) + 1}&${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<Result>();
  };
  const fromMemory = async () => Number(/catalogue_search_computed_total\{[^}]*source="memory"[^}]*\} (\d+)/.exec((await h.app.inject({ method: "GET", url: "/metrics" })).body)?.[1] ?? 0);
  const loads = (w: World) => h.logs.filter((line) => line.includes("search index: municipality loaded") && line.includes(w.municipalityId)).length;
  /**
   * Searches until the index answers (right after a change the municipality's searches go to
   * Postgres until the change's notification is back and the index has caught up with it).
   */
  const fromIndex = async (w: World, query = ""): Promise<Result> =>
    waitFor(async () => {
      const before = await fromMemory();
      const result = await search(w, query);
      return (await fromMemory()) > before ? result : undefined;
    }, { timeoutMs: 5_000, what: `the index answering ${query || "the municipality"}` });
  const listed = async (w: World, capacity = 12) => {
    const programId = await createProgram(h, w);
    const groupId = await createGroup(h, w, programId, { capacity });
    await publish(h, w, programId);
    return { programId, groupId };
  };

  it("finds a program published at once, and from memory once the municipality is loaded again", async () => {
    const w = await world(h);
    const first = await listed(w);
    expect((await fromIndex(w)).items.map((item) => item.id)).toEqual([first.programId]);

    const second = await listed(w);
    const ids = [first.programId, second.programId].sort();
    expect((await search(w)).items.map((item) => item.id)).toEqual(ids);
    expect((await fromIndex(w)).items.map((item) => item.id)).toEqual(ids);
  });

  it("shows a seat taken at once, and sets it in place in memory without loading the municipality again", async () => {
    const w = await world(h);
    const { programId, groupId } = await listed(w, 1);
    expect((await fromIndex(w, "freeSeats=true")).items.map((item) => item.freeSeats)).toEqual([1]);
    const loaded = loads(w);

    const enrollmentId = randomUUID();
    await h.deliver(EnrollmentStarted, { municipalityId: w.municipalityId, aggregateId: enrollmentId }, { enrollmentId, groupId, programId, childId: randomUUID() });
    expect((await search(w)).items.map((item) => item.freeSeats)).toEqual([0]);
    expect((await search(w, "freeSeats=true")).total).toBe(0);
    expect((await fromIndex(w)).items.map((item) => item.freeSeats)).toEqual([0]);
    expect((await fromIndex(w, "freeSeats=true")).total).toBe(0);
    expect((await fromIndex(w, "freeSeats=true&weekday=2")).total).toBe(0);
    expect((await fromIndex(w, "weekday=2")).total).toBe(1);
    expect(loads(w)).toBe(loaded);
  });

  it("drops a suspended provider's programs at once, and from memory once loaded again", async () => {
    const w = await world(h);
    await listed(w);
    expect((await fromIndex(w)).total).toBe(1);

    await h.deliver(ProviderSuspended, { municipalityId: w.municipalityId, aggregateId: w.providerId }, { providerId: w.providerId, kind: "private", name: "АНО «Робототехника для всех»", reason: "other" });
    expect((await search(w)).total).toBe(0);
    expect((await fromIndex(w)).total).toBe(0);
  });
});
