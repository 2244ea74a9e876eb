// A probe of the design BENCHMARKS.md proposed for issue #20 (`--in-memory N`): searches without
// words computed from an index a search worker would hold in memory, beside Postgres computing
// the same searches on the same data. Not the catalogue's code: a measurement of whether such an
// index can answer inside the budget the fresh-search goal leaves (~1.6 ms of CPU per computed
// search for the catalogue and its store together on two cores, BENCHMARKS.md), and whether it
// gives Postgres's answers exactly.
//
// The index holds the searched municipality's listed programs in columns (direction, funding
// kind, ages, free seats, the `earth` point as Postgres stores it), their open groups' weekly
// slots per weekday sorted by start, a grid of 0.01° cells for the nearest and radius kinds, and
// the facet counts per age (and per age among programs with a free seat), which events would
// keep up to date, and each program's row as the service's own statement returns it (read once
// through `searchPrograms`). It computes the page (id order, or distance with a point) and the
// facet rows, and writes the answer's JSON. Each kind's parameter sets are the benchmark's own
// (queries.ts), every one asked of both and compared: the page's rows in order, field by field,
// and the facet rows.
import { performance } from "node:perf_hooks";
import { Direction, FundingKind } from "@kruzhok/contracts";
import type { Queryable } from "@kruzhok/postgres";
import { decodeCursor } from "../../../services/catalogue/src/domain/search";
import { searchFacets, searchPrograms, type FacetRow, type SearchFilters, type SearchHit } from "../../../services/catalogue/src/store/search";
import { fmt, type Table } from "../lib/report";
import type { BenchMunicipality } from "./data";
import { filtersOf, floorQuery, pathOf, queryOf, searchIn, type Kind } from "./queries";

const DIRECTIONS = Direction.options;
const FUNDING_KINDS = FundingKind.options;
const CELLS = DIRECTIONS.length * FUNDING_KINDS.length;
/** earthdistance's earth() and Postgres's radians(): the same doubles, so the same chords. */
const EARTH = 6378168;
// Postgres writes it as 0.0174532925199432957692, which is this double.
const RADIANS_PER_DEGREE = 0.017453292519943295;
const GRID_DEGREES = 0.01;
const MAX_AGE = 19;

interface Slots {
  start: Int16Array;
  end: Int16Array;
  free: Uint8Array;
  program: Int32Array;
}

interface Point {
  x: number;
  y: number;
  z: number;
}

/** ll_to_earth: the point as earthdistance computes it. */
function earthPoint(latitude: number, longitude: number): Point {
  const la = latitude * RADIANS_PER_DEGREE;
  const lo = longitude * RADIANS_PER_DEGREE;
  return { x: EARTH * Math.cos(la) * Math.cos(lo), y: EARTH * Math.cos(la) * Math.sin(lo), z: EARTH * Math.sin(la) };
}

/** gc_to_sec: the chord of a great-circle distance, which `baseConditions` compares `<->` with. */
const chordOf = (metres: number) => 2 * EARTH * Math.sin(metres / (2 * EARTH));

/** The first of 0..length-1 at which `isBelow` turns false (a binary search over anything sorted). */
function firstNotBelow(length: number, isBelow: (i: number) => boolean): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (isBelow(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

class MemoryIndex {
  readonly size: number;
  private readonly ids: string[];
  private readonly direction: Uint8Array;
  private readonly funding: Uint8Array;
  private readonly ageMin: Uint8Array;
  private readonly ageMax: Uint8Array;
  private readonly freeSeats: Int32Array;
  private readonly x: Float64Array;
  private readonly y: Float64Array;
  private readonly z: Float64Array;
  private readonly slots: Slots[];
  /** [free seats only ? 1 : 0][age] → counts per (direction, funding kind); ages past MAX_AGE are not asked. */
  private readonly ageCounts: Int32Array[][];
  private readonly allCounts: Int32Array[];
  private readonly grid: { minLat: number; minLon: number; rows: number; cols: number; cells: number[][]; cellMetres: number };
  /** Programs marked by the current slot window (a stamp per search, so nothing is cleared). */
  private readonly mark: Uint32Array;
  private stamp = 0;

  /**
   * `hits`: every listed program's row as the service's own statement returns it, in id order;
   * the columns are read from them. `geo`: each one's `earth` point as Postgres prints it.
   */
  constructor(
    private readonly hits: readonly SearchHit[],
    geo: ReadonlyMap<string, string>,
    slotRows: readonly { programId: string; weekday: number; start: number; end: number; free: boolean }[],
  ) {
    const n = hits.length;
    this.size = n;
    this.ids = hits.map((hit) => hit.id);
    this.direction = Uint8Array.from(hits, (hit) => DIRECTIONS.indexOf(hit.direction));
    this.funding = Uint8Array.from(hits, (hit) => FUNDING_KINDS.indexOf(hit.fundingKind));
    this.ageMin = Uint8Array.from(hits, (hit) => hit.ageRange.min);
    this.ageMax = Uint8Array.from(hits, (hit) => hit.ageRange.max);
    this.freeSeats = Int32Array.from(hits, (hit) => hit.freeSeats);
    // The cube's text is float8's shortest exact form: parsed back, the very doubles Postgres holds.
    const coordinates = hits.map((hit) => (geo.get(hit.id) ?? "").slice(1, -1).split(",").map(Number));
    this.x = Float64Array.from(coordinates, (c) => c[0] ?? NaN);
    this.y = Float64Array.from(coordinates, (c) => c[1] ?? NaN);
    this.z = Float64Array.from(coordinates, (c) => c[2] ?? NaN);
    this.mark = new Uint32Array(n);

    const position = new Map(this.ids.map((id, i) => [id, i]));
    this.slots = Array.from({ length: 8 }, (_, weekday) => {
      const list = slotRows.filter((s) => s.weekday === weekday && position.has(s.programId)).sort((a, b) => a.start - b.start);
      return {
        start: Int16Array.from(list, (s) => s.start),
        end: Int16Array.from(list, (s) => s.end),
        free: Uint8Array.from(list, (s) => (s.free ? 1 : 0)),
        program: Int32Array.from(list, (s) => position.get(s.programId) ?? -1),
      };
    });

    this.ageCounts = [0, 1].map(() => Array.from({ length: MAX_AGE + 1 }, () => new Int32Array(CELLS)));
    this.allCounts = [new Int32Array(CELLS), new Int32Array(CELLS)];
    for (let i = 0; i < n; i++) {
      const cell = this.cellOf(i);
      for (const free of this.freeSeats[i]! > 0 ? [0, 1] : [0]) {
        this.allCounts[free]![cell]!++;
        for (let age = this.ageMin[i]!; age <= Math.min(MAX_AGE, this.ageMax[i]!); age++) this.ageCounts[free]![age]![cell]!++;
      }
    }

    const latitudes = Float64Array.from(this.z, (z) => Math.asin(z / EARTH) / RADIANS_PER_DEGREE);
    const longitudes = Float64Array.from(this.ids, (_, i) => Math.atan2(this.y[i]!, this.x[i]!) / RADIANS_PER_DEGREE);
    // Reduced, not spread: a spread of a large city's points would exceed the call's argument limit.
    const minLat = latitudes.reduce((a, b) => Math.min(a, b), Infinity);
    const maxLat = latitudes.reduce((a, b) => Math.max(a, b), -Infinity);
    const minLon = longitudes.reduce((a, b) => Math.min(a, b), Infinity);
    const rows = Math.floor((maxLat - minLat) / GRID_DEGREES) + 1;
    const cols = Math.floor((longitudes.reduce((a, b) => Math.max(a, b), -Infinity) - minLon) / GRID_DEGREES) + 1;
    // The least a cell spans on the ground (a degree of longitude shrinks away from the equator):
    // whatever lies r rings out is at least (r - 1) of these away.
    const cellMetres = GRID_DEGREES * RADIANS_PER_DEGREE * EARTH * Math.cos(Math.max(Math.abs(minLat), Math.abs(maxLat)) * RADIANS_PER_DEGREE) * 0.999;
    this.grid = { minLat, minLon, rows, cols, cells: Array.from({ length: rows * cols }, () => []), cellMetres };
    for (let i = 0; i < n; i++) {
      const [row, col] = this.gridCell(latitudes[i]!, longitudes[i]!);
      this.grid.cells[row * cols + col]!.push(i);
    }
  }

  private cellOf(i: number): number {
    return this.direction[i]! * FUNDING_KINDS.length + this.funding[i]!;
  }

  private gridCell(latitude: number, longitude: number): [number, number] {
    const { minLat, minLon, rows, cols } = this.grid;
    const row = Math.min(rows - 1, Math.max(0, Math.floor((latitude - minLat) / GRID_DEGREES)));
    const col = Math.min(cols - 1, Math.max(0, Math.floor((longitude - minLon) / GRID_DEGREES)));
    return [row, col];
  }

  private chord(i: number, p: Point): number {
    const dx = this.x[i]! - p.x;
    const dy = this.y[i]! - p.y;
    const dz = this.z[i]! - p.z;
    return Math.sqrt(dx * dx + dy * dy + dz * dz);
  }

  private fitsAge(i: number, age: number | undefined): boolean {
    return age === undefined || (this.ageMin[i]! <= age && this.ageMax[i]! >= age);
  }

  /** Marks the programs with a slot in the window (with a free seat, when asked) and of the age; returns the stamp. */
  private markWindow(f: SearchFilters, each?: (i: number) => void): number {
    const stamp = ++this.stamp;
    const from = f.fromMinute ?? -1;
    const to = f.toMinute ?? Number.MAX_SAFE_INTEGER;
    const onlyFree = f.onlyFreeSeats === true;
    const age = f.age ?? -1;
    const { mark, ageMin, ageMax } = this;
    for (const weekday of f.weekday !== undefined ? [f.weekday] : [0, 1, 2, 3, 4, 5, 6, 7]) {
      const day = this.slots[weekday];
      if (!day) continue;
      const { start, end, free, program } = day;
      for (let k = firstNotBelow(start.length, (j) => start[j]! < from); k < start.length && start[k]! <= to; k++) {
        if (end[k]! > to || (onlyFree && free[k] === 0)) continue;
        const i = program[k]!;
        if (mark[i] === stamp || (age >= 0 && (ageMin[i]! > age || ageMax[i]! < age))) continue;
        mark[i] = stamp;
        if (each) each(i);
      }
    }
    return stamp;
  }

  /** `baseConditions` with direction and funding kind: whether program i is in the answer. */
  private matcher(f: SearchFilters): (i: number) => boolean {
    const direction = f.direction ? DIRECTIONS.indexOf(f.direction) : -1;
    const funding = f.fundingKind ? FUNDING_KINDS.indexOf(f.fundingKind) : -1;
    const window = f.weekday !== undefined || f.fromMinute !== undefined || f.toMinute !== undefined;
    const stamp = window ? this.markWindow(f) : 0;
    const radius = f.near?.radiusMetres !== undefined ? { point: earthPoint(f.near.latitude, f.near.longitude), chord: chordOf(f.near.radiusMetres) } : undefined;
    return (i) =>
      (direction < 0 || this.direction[i] === direction) &&
      (funding < 0 || this.funding[i] === funding) &&
      (window ? this.mark[i] === stamp : this.fitsAge(i, f.age) && (f.onlyFreeSeats !== true || this.freeSeats[i]! > 0)) &&
      (radius === undefined || this.chord(i, radius.point) <= radius.chord);
  }

  /**
   * The page as Postgres gives it (`searchPrograms`'s rows): id order after the cursor's id, or
   * nearest first from the point with the chord as its sort key and the great-circle metres.
   */
  page(f: SearchFilters, afterId: string | undefined, limit: number): SearchHit[] {
    const rows = this.hits;
    if (!f.near) return this.positions(f, afterId, limit).map((i) => rows[i]!);
    return this.nearest(f, f.near, limit).map(({ chord, i }) => ({ ...rows[i]!, sortKey: chord, distanceMetres: 2 * EARTH * Math.asin(chord / (2 * EARTH)) }));
  }

  private positions(f: SearchFilters, afterId: string | undefined, limit: number): number[] {
    const wanted = this.matcher(f);
    const page: number[] = [];
    // Ids sort as Postgres sorts uuids: lowercase hex compares byte for byte.
    for (let i = afterId ? firstNotBelow(this.size, (j) => this.ids[j]! < afterId) : 0; i < this.size && page.length <= limit; i++) {
      if (wanted(i)) page.push(i);
    }
    return page;
  }

  private nearest(f: SearchFilters, near: NonNullable<SearchFilters["near"]>, limit: number): { chord: number; i: number }[] {
    const wanted = this.matcher(f);
    const point = earthPoint(near.latitude, near.longitude);
    const best: { chord: number; i: number }[] = [];
    const { rows, cols, cells, cellMetres } = this.grid;
    const [row0, col0] = this.gridCell(near.latitude, near.longitude);
    const lastRing = near.radiusMetres !== undefined ? Math.ceil(near.radiusMetres / cellMetres) + 1 : Math.max(rows, cols);
    for (let ring = 0; ring <= lastRing; ring++) {
      // Done once the page is full and nearer than anything a further ring can hold.
      if (best.length > limit && best[limit]!.chord < (ring - 1) * cellMetres) break;
      for (let row = row0 - ring; row <= row0 + ring; row++) {
        if (row < 0 || row >= rows) continue;
        const edge = row === row0 - ring || row === row0 + ring;
        for (let col = col0 - ring; col <= col0 + ring; col += edge || ring === 0 ? 1 : 2 * ring) {
          if (col < 0 || col >= cols) continue;
          for (const i of cells[row * cols + col]!) {
            if (!wanted(i)) continue;
            const chord = this.chord(i, point);
            if (best.length <= limit) {
              best.push({ chord, i });
              if (best.length === limit + 1) best.sort((a, b) => a.chord - b.chord);
            } else if (chord < best[limit]!.chord) {
              best[limit] = { chord, i };
              best.sort((a, b) => a.chord - b.chord);
            }
          }
        }
      }
    }
    return best.sort((a, b) => a.chord - b.chord);
  }

  /** `searchFacets`: counts per (direction, funding kind) under every other filter. */
  facets(f: SearchFilters): FacetRow[] {
    const free = f.onlyFreeSeats === true ? 1 : 0;
    const window = f.weekday !== undefined || f.fromMinute !== undefined || f.toMinute !== undefined;
    if (!window && f.near?.radiusMetres === undefined) return rowsOf(f.age !== undefined && f.age <= MAX_AGE ? this.ageCounts[free]![f.age]! : f.age !== undefined ? new Int32Array(CELLS) : this.allCounts[free]!);
    const counts = new Int32Array(CELLS);
    if (window) {
      this.markWindow(f, (i) => counts[this.cellOf(i)]!++);
      return rowsOf(counts);
    }
    const near = f.near!;
    const point = earthPoint(near.latitude, near.longitude);
    const chord = chordOf(near.radiusMetres!);
    const reach = Math.ceil(near.radiusMetres! / this.grid.cellMetres) + 1;
    const [row0, col0] = this.gridCell(near.latitude, near.longitude);
    const { rows, cols, cells } = this.grid;
    for (let row = Math.max(0, row0 - reach); row <= Math.min(rows - 1, row0 + reach); row++) {
      for (let col = Math.max(0, col0 - reach); col <= Math.min(cols - 1, col0 + reach); col++) {
        for (const i of cells[row * cols + col]!) {
          if (this.fitsAge(i, f.age) && (free === 0 || this.freeSeats[i]! > 0) && this.chord(i, point) <= chord) counts[this.cellOf(i)]!++;
        }
      }
    }
    return rowsOf(counts);
  }
}

function rowsOf(counts: Int32Array): FacetRow[] {
  const rows: FacetRow[] = [];
  counts.forEach((count, cell) => {
    if (count > 0) rows.push({ direction: DIRECTIONS[Math.floor(cell / FUNDING_KINDS.length)]!, fundingKind: FUNDING_KINDS[cell % FUNDING_KINDS.length]!, count });
  });
  return rows;
}

const sameFacets = (a: readonly FacetRow[], b: readonly FacetRow[]) => {
  const key = (rows: readonly FacetRow[]) =>
    rows
      .map((row) => `${row.direction}/${row.fundingKind}=${row.count}`)
      .sort()
      .join(",");
  return key(a) === key(b);
};

/**
 * Whether the index's page is Postgres's as the route answers it: the same rows in the same order,
 * every field equal, the distance in whole metres (as the answer gives it). The sort key (the chord)
 * may differ in its last bits: the search point's cos and sin are V8's, not glibc's. Returns how
 * far the keys were apart at most (metres), or undefined when the pages differ.
 */
function sameRows(memory: readonly SearchHit[], postgres: readonly SearchHit[]): number | undefined {
  if (memory.length !== postgres.length) return undefined;
  let off = 0;
  for (const [k, row] of memory.entries()) {
    const other = postgres[k]!;
    const { sortKey, distanceMetres, ...fields } = row;
    const { sortKey: otherKey, distanceMetres: otherDistance, ...otherFields } = other;
    if (JSON.stringify(fields) !== JSON.stringify(otherFields)) return undefined;
    if ((distanceMetres === null) !== (otherDistance === null) || Math.round(distanceMetres ?? 0) !== Math.round(otherDistance ?? 0)) return undefined;
    if ((sortKey === null) !== (otherKey === null)) return undefined;
    off = Math.max(off, Math.abs((sortKey ?? 0) - (otherKey ?? 0)));
  }
  return off < 1e-6 ? off : undefined;
}

const PROBED = ["municipality", "filters", "nearest", "schedule", "radius", "floor"] as const;
type Probed = Extract<Kind, (typeof PROBED)[number]> | "floor";

/**
 * Loads the municipality's index, then asks both `perKind` parameter sets of each kind without
 * words (and the floor's page after a random id), one after the other on one connection:
 * Postgres's wall time per search (results, facets) against the index's, and whether the
 * answers were the same.
 */
export async function probeInMemory(db: Queryable, municipality: BenchMunicipality, perKind: number, progress: (message: string) => void): Promise<Table> {
  const loading = performance.now();
  // Every listed program's row as the service's own statement gives it (its fields for today),
  // and the one thing a row does not carry: its point as Postgres holds it.
  const now = new Date();
  const everyRow = await searchPrograms(db, { municipalityId: municipality.id }, "id", undefined, 2_000_000_000, now); // every row: its LIMIT is an int
  const { rows: points } = await db.query<{ id: string; geo: string }>(
    `SELECT id, geo::text AS geo FROM programs WHERE municipality_id = $1 AND status = 'published' AND provider_approved`,
    [municipality.id],
  );
  const { rows: slots } = await db.query<{ programId: string; weekday: number; start: number; end: number; free: boolean }>(
    `SELECT program_id AS "programId", weekday, start_minute AS start, end_minute AS "end", has_free_seat AS free FROM group_slots WHERE municipality_id = $1`,
    [municipality.id],
  );
  const index = new MemoryIndex(everyRow, new Map(points.map((point) => [point.id, point.geo])), slots);
  const loadMs = performance.now() - loading;
  progress(`in-memory probe: ${fmt(index.size)} listed programs and ${fmt(slots.length)} slots of ${municipality.name} held in ${fmt(loadMs)} ms; ${fmt(perKind)} searches per kind`);

  searchIn([municipality]);
  const rows: string[][] = [];
  for (const kind of PROBED as readonly Probed[]) {
    let same = 0;
    let keyOff = 0;
    const time = { pgResults: 0, pgFacets: 0, memResults: 0, memFacets: 0, memJson: 0 };
    for (let round = 0; round < perKind; round++) {
      const query = kind === "floor" ? floorQuery() : queryOf(kind);
      const filters = filtersOf(pathOf(query));
      const afterId = query.cursor ? decodeCursor(query.cursor, "id").id : undefined;
      const order = filters.near ? "distance" : "id";
      let at = performance.now();
      const hits = await searchPrograms(db, filters, order, afterId ? { order: "id", key: null, id: afterId } : undefined, 20, now);
      time.pgResults += performance.now() - at;
      at = performance.now();
      const facets = await searchFacets(db, filters);
      time.pgFacets += performance.now() - at;
      at = performance.now();
      const page = index.page(filters, afterId, 20);
      time.memResults += performance.now() - at;
      at = performance.now();
      const memoryFacets = index.facets(filters);
      time.memFacets += performance.now() - at;
      // What the answer's bytes would cost (the route also maps each row to its item).
      at = performance.now();
      const bytes = Buffer.from(JSON.stringify({ items: page, facets: memoryFacets }));
      time.memJson += performance.now() - at;
      const keys = sameRows(page, hits);
      if (bytes.length > 0 && keys !== undefined && sameFacets(memoryFacets, facets)) {
        same++;
        keyOff = Math.max(keyOff, keys);
      }
    }
    const us = (ms: number) => fmt((ms * 1_000) / perKind);
    rows.push([kind, `${fmt(same)} of ${fmt(perKind)}${keyOff > 0 ? `; sort keys within ${keyOff.toExponential(1)} m` : ""}`, us(time.pgResults), us(time.pgFacets), us(time.memResults), us(time.memFacets), us(time.memJson)]);
  }
  return {
    headers: [
      `in-memory probe (--in-memory): ${municipality.name}, ${fmt(index.size)} listed programs, ${fmt(slots.length)} slots, held in ${fmt(loadMs)} ms`,
      "same answer (the page's rows, every field, distance in metres; facet rows)",
      "Postgres results µs (wall)",
      "Postgres facets µs (wall)",
      "memory results µs",
      "memory facets µs",
      "the answer's JSON µs",
    ],
    rows,
  };
}
