import { describe, expect, it } from "vitest";
import { Direction, FundingKind } from "@kruzhok/contracts";
import type { Cursor } from "../src/domain/search";
import type { FacetRow, ListedRow, SearchFilters, SlotRow } from "../src/store/search";
import { MunicipalityIndex } from "../src/store/search-memory";

// The index in memory's own logic (store/search-memory.ts) against the plainest reading of the
// filters, on a city of 6,000 programs: the grid's rings, the radius, the weekly window, the
// cursor and the counts. Whether it agrees with Postgres's arithmetic and SQL is
// search-random.int.test.ts's and the benchmark's (--in-memory) to show.
const EARTH = 6378168;
const RAD = 0.017453292519943295;
let seed = 20261206;
const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
const pick = <T>(list: readonly T[]): T => list[int(0, list.length - 1)]!;

const point = (latitude: number, longitude: number) => {
  const la = latitude * RAD;
  const lo = longitude * RAD;
  return [EARTH * Math.cos(la) * Math.cos(lo), EARTH * Math.cos(la) * Math.sin(lo), EARTH * Math.sin(la)] as const;
};

const rows: ListedRow[] = [];
for (let n = 0; n < 6_000; n++) {
  // Clustered like a city: a dense centre and sparse outskirts.
  const spread = random() < 0.6 ? 0.03 : 0.3;
  const latitude = 55.75 + (random() - 0.5) * spread;
  const longitude = 37.6 + (random() - 0.5) * spread * 1.6;
  const min = int(5, 14);
  const fundingKind = pick(FundingKind.options);
  rows.push({
    id: `01900000-0000-7000-8000-${n.toString(16).padStart(12, "0")}`,
    title: `Кружок ${n}`,
    direction: pick(Direction.options),
    ageRange: { min, max: int(min, 18) },
    fundingKind,
    providerId: "01900000-0000-7000-8000-ffffffffffff",
    providerName: "Дом творчества",
    municipalityId: "01900000-0000-7000-8000-eeeeeeeeeeee",
    pricePerHour: 25_000,
    currency: "RUB",
    totalHours: 72,
    weeklyHours: 2,
    address: "ул. Тверская",
    latitude,
    longitude,
    ratingAverage: null,
    ratingCount: 0,
    freeSeats: random() < 0.6 ? int(1, 5) : 0,
    openGroups: 1,
    nominal: null,
    acceptingApplications: true,
    certification: fundingKind === "financed" ? { number: "НОК-1", date: "2026-01-15", expiry: pick(["2026-06-30", "2027-06-30"]) } : null,
    geo: `(${point(latitude, longitude).join(",")})`,
  });
}
const slots: SlotRow[] = rows.flatMap((row) =>
  Array.from({ length: int(0, 4) }, () => {
    const start = int(16, 38) * 30;
    return { programId: row.id, weekday: int(1, 7), start, end: start + int(1, 4) * 30, free: row.freeSeats > 0 && random() < 0.8 };
  }),
);
const slotsOf = new Map<string, SlotRow[]>();
for (const slot of slots) slotsOf.set(slot.programId, [...(slotsOf.get(slot.programId) ?? []), slot]);
const index = new MunicipalityIndex(rows, slots, { timeZone: "Europe/Moscow", nominals: new Map([[2026, 1_500_000]]) });
const now = new Date("2026-12-06T12:00:00Z");

/** The filters read plainly, as `baseConditions` states them. */
function matches(row: ListedRow, f: SearchFilters): boolean {
  if (f.direction && row.direction !== f.direction) return false;
  if (f.fundingKind && row.fundingKind !== f.fundingKind) return false;
  if (f.age !== undefined && (row.ageRange.min > f.age || row.ageRange.max < f.age)) return false;
  if (f.near?.radiusMetres !== undefined && chordTo(row, f.near) > 2 * EARTH * Math.sin(f.near.radiusMetres / (2 * EARTH))) return false;
  if (f.weekday !== undefined || f.fromMinute !== undefined || f.toMinute !== undefined) {
    return (slotsOf.get(row.id) ?? []).some(
      (s) =>
        (f.weekday === undefined || s.weekday === f.weekday) &&
        (f.fromMinute === undefined || s.start >= f.fromMinute) &&
        (f.toMinute === undefined || s.end <= f.toMinute) &&
        (!f.onlyFreeSeats || s.free),
    );
  }
  return !f.onlyFreeSeats || row.freeSeats > 0;
}
function chordTo(row: ListedRow, near: { latitude: number; longitude: number }): number {
  const [x, y, z] = row.geo.slice(1, -1).split(",").map(Number) as [number, number, number];
  const [px, py, pz] = point(near.latitude, near.longitude);
  return Math.sqrt((x - px) ** 2 + (y - py) ** 2 + (z - pz) ** 2);
}
function facetsOf(f: SearchFilters): FacetRow[] {
  const counts = new Map<string, number>();
  for (const row of rows) {
    if (!matches(row, { ...f, direction: undefined, fundingKind: undefined })) continue;
    const key = `${row.direction}/${row.fundingKind}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, count]) => ({ direction: key.split("/")[0] as Direction, fundingKind: key.split("/")[1] as FundingKind, count }));
}
const sorted = (facets: readonly FacetRow[]) => [...facets].sort((a, b) => `${a.direction}/${a.fundingKind}`.localeCompare(`${b.direction}/${b.fundingKind}`));

function randomFilters(): SearchFilters {
  const f: SearchFilters = { municipalityId: rows[0]!.municipalityId };
  if (random() < 0.4) f.direction = pick(Direction.options);
  if (random() < 0.3) f.fundingKind = pick(FundingKind.options);
  if (random() < 0.4) f.age = int(5, 18);
  if (random() < 0.5) {
    // Inside the city, and now and then well outside it (the grid's nearest cell then starts the rings).
    const far = random() < 0.15;
    f.near = { latitude: 55.75 + (random() - 0.5) * (far ? 2 : 0.3), longitude: 37.6 + (random() - 0.5) * (far ? 3 : 0.5), radiusMetres: random() < 0.5 ? int(300, 8_000) : undefined };
  }
  if (random() < 0.3) f.weekday = int(1, 7);
  if (random() < 0.25) {
    f.fromMinute = int(16, 34) * 30;
    if (random() < 0.7) f.toMinute = f.fromMinute + int(2, 8) * 30;
  }
  if (random() < 0.3) f.onlyFreeSeats = true;
  return f;
}

describe("the navigator's index in memory", () => {
  it("gives every page, through every cursor, and every count that the filters read plainly give, for 400 random searches", () => {
    for (let round = 0; round < 400; round++) {
      const f = randomFilters();
      const what = `round ${round}: ${JSON.stringify(f)}`;
      const order = f.near ? "distance" : "id";
      const near = f.near;
      const all = rows
        .filter((row) => matches(row, f))
        .map((row) => ({ id: row.id, key: near ? chordTo(row, near) : null }))
        .sort((a, b) => (a.key ?? 0) - (b.key ?? 0) || (a.id < b.id ? -1 : 1));
      const limit = int(1, 25);
      let after: Cursor | undefined;
      // Up to five pages, each against the plain order.
      for (let page = 0; page < 5; page++) {
        const answer = index.search(f, order, after, limit, now);
        const from = page * limit;
        expect(answer.hits.map((hit) => hit.id), what).toEqual(all.slice(from, from + limit + 1).map((row) => row.id));
        if (page === 0) expect(sorted(answer.facets), what).toEqual(sorted(facetsOf(f)));
        if (answer.hits.length <= limit) break;
        const last = answer.hits[limit - 1]!;
        after = { order, key: last.sortKey, id: last.id };
      }
    }
  });

  it("answers a row as search shows it today: certification in force and the year's nominal in the municipality's zone", () => {
    const financed = rows.filter((row) => row.fundingKind === "financed");
    const f: SearchFilters = { municipalityId: rows[0]!.municipalityId };
    const hits = new Map<string, { acceptingApplications: boolean; nominal: unknown }>();
    for (let after: Cursor | undefined, page = 0; page < 1_000; page++) {
      const answer = index.search(f, "id", after, 100, now);
      for (const hit of answer.hits.slice(0, 100)) hits.set(hit.id, hit);
      if (answer.hits.length <= 100) break;
      after = { order: "id", key: null, id: answer.hits[99]!.id };
    }
    expect(hits.size).toBe(rows.length);
    for (const row of financed) expect(hits.get(row.id)?.acceptingApplications).toBe(row.certification!.expiry >= "2026-12-06");
    expect(new Set([...hits.values()].map((hit) => hit.nominal))).toEqual(new Set([1_500_000]));
  });

  it("sets seats in place when they change, and refuses a change it cannot make in place", () => {
    // In the dense centre: a radius around it takes that cell's kept counts, which must follow the change too.
    const row = rows.find((r) => r.freeSeats > 0 && slots.some((s) => s.programId === r.id) && Math.abs(r.latitude - 55.75) < 0.005 && Math.abs(r.longitude - 37.6) < 0.008)!;
    const own = slots.filter((s) => s.programId === row.id);
    const f: SearchFilters = { municipalityId: row.municipalityId, onlyFreeSeats: true, age: row.ageRange.min };
    const before = index.search(f, "id", undefined, 10_000, now);
    const around: SearchFilters = { ...f, near: { latitude: 55.75, longitude: 37.6, radiusMetres: 2_500 } };
    const aroundBefore = index.search(around, "distance", undefined, 10_000, now);
    expect(aroundBefore.hits.map((hit) => hit.id)).toContain(row.id);
    expect(before.hits.map((hit) => hit.id)).toContain(row.id);
    // A window's counts are kept between searches: asked before the change, they must not outlive it.
    const inWindow = { municipalityId: row.municipalityId, weekday: own[0]!.weekday, onlyFreeSeats: true };
    const windowBefore = index.search(inWindow, "id", undefined, 10_000, now);
    expect(windowBefore.hits.map((hit) => hit.id)).toContain(row.id);

    expect(index.refresh([row.id], [{ ...row, freeSeats: 0 }], own.map((s) => ({ ...s, free: false })))).toBe(true);
    const after = index.search(f, "id", undefined, 10_000, now);
    expect(after.hits.map((hit) => hit.id)).not.toContain(row.id);
    const count = (answer: typeof before) => answer.facets.reduce((sum, facet) => sum + facet.count, 0);
    expect(count(after)).toBe(count(before) - 1);
    const aroundAfter = index.search(around, "distance", undefined, 10_000, now);
    expect(count(aroundAfter)).toBe(count(aroundBefore) - 1);
    expect(count(aroundAfter)).toBe(aroundAfter.hits.length);
    const window = inWindow;
    const windowAfter = index.search(window, "id", undefined, 10_000, now);
    expect(windowAfter.hits.map((hit) => hit.id)).not.toContain(row.id);
    expect(count(windowAfter)).toBe(count(windowBefore) - 1);
    expect(count(windowAfter)).toBe(windowAfter.hits.length);

    // Its ages changed (a provider's edit read again): its slots answer a window by the new ones.
    const freeAgain = own.map((s) => ({ ...s, free: true }));
    const windowAged = { ...window, age: row.ageRange.min };
    expect(index.refresh([row.id], [{ ...row, freeSeats: 1 }], freeAgain)).toBe(true);
    expect(index.search(windowAged, "id", undefined, 10_000, now).hits.map((hit) => hit.id)).toContain(row.id);
    expect(index.refresh([row.id], [{ ...row, freeSeats: 1, ageRange: { min: 18, max: 18 } }], freeAgain)).toBe(true);
    const aged = index.search(windowAged, "id", undefined, 10_000, now);
    expect(aged.hits.map((hit) => hit.id)).not.toContain(row.id);
    expect(aged.facets.reduce((sum, facet) => sum + facet.count, 0)).toBe(aged.hits.length);

    // Moved, or its slots not the same ones: the caller must load the municipality again.
    expect(index.refresh([row.id], [{ ...row, geo: "(1,2,3)" }], own)).toBe(false);
    expect(index.refresh([row.id], [row], [...own, { ...own[0]!, start: 0, end: 30 }])).toBe(false);
  });
});
