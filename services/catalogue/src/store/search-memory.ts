import { Direction, FundingKind } from "@kruzhok/contracts";
import type { Cursor, SearchOrder } from "../domain/search";
import type { FacetRow, ListedRow, SearchFilters, SearchHit, SlotRow } from "./search";

// The navigator's searches without words, computed from one municipality's listed programs held
// in this process's memory: the same rows and facet counts as `searchPrograms` and
// `searchFacets` (store/search.ts) give, in microseconds rather than milliseconds (BENCHMARKS.md,
// issue #20: 11-620 µs against 1.1-13 ms at Moscow's scale, every answer the same). The rows are
// loaded and kept in step by store/search-index.ts; this file holds no SQL and does no I/O.

const DIRECTIONS = Direction.options;
const FUNDING_KINDS = FundingKind.options;
const CELLS = DIRECTIONS.length * FUNDING_KINDS.length;
/** earthdistance's earth() and Postgres's radians(): the same doubles, so the same chords. */
const EARTH = 6378168;
// Postgres writes it as 0.0174532925199432957692, which is this double.
const RADIANS_PER_DEGREE = 0.017453292519943295;
const GRID_DEGREES = 0.01;
/** Facet counts are kept per age up to this one; an older age asked (never, for children) is counted by a scan. */
const MAX_AGE = 19;
/** A slot's place: its weekday's list and its position there, in one number (weekdays 1-7, under 2^21 slots a day). */
const SLOT_SHIFT = 2 ** 21;
/** Weekly windows whose facet rows are kept (forgotten wholesale beyond). */
const WINDOW_FACETS = 4_096;
/**
 * A grid cell holding at least this many programs keeps its own facet counts (per free-seat flag
 * and age, and over all ages): a radius's counts take a cell wholly inside the circle from them
 * instead of testing each program. Sparser cells are tested one by one; the threshold bounds the
 * counts' memory to ~100 bytes per program.
 */
const DENSE_CELL = 32;
/** Counts per cell: [free 0/1][age 0..MAX_AGE, then every age] x (direction, funding kind). */
const AGE_SLOTS = MAX_AGE + 2;
/**
 * Metres of doubt when a whole cell is judged inside or outside a radius: the cell's bounds are
 * computed in floating point, and V8's sine may differ from glibc's in the last bits (~1e-9 m).
 * Cells within it of the circle are tested program by program, exactly as Postgres tests them.
 */
const EDGE_DOUBT_METRES = 1;

/**
 * A weekday's slots, sorted by start. Each carries copies of its program's ages and facet cell:
 * a window's walk reads tens of thousands of slots in a row, and reading those from the
 * program's columns cost a cache miss each (a weekday window was the slowest kind from memory).
 */
interface DaySlots {
  start: Int16Array;
  end: Int16Array;
  free: Uint8Array;
  program: Int32Array;
  ageMin: Uint8Array;
  ageMax: Uint8Array;
  cell: Uint8Array;
}

interface Point {
  x: number;
  y: number;
  z: number;
}

/** ll_to_earth: the point as earthdistance computes it (V8's sine and cosine: the last bits may differ from glibc's). */
function earthPoint(latitude: number, longitude: number): Point {
  const la = latitude * RADIANS_PER_DEGREE;
  const lo = longitude * RADIANS_PER_DEGREE;
  return { x: EARTH * Math.cos(la) * Math.cos(lo), y: EARTH * Math.cos(la) * Math.sin(lo), z: EARTH * Math.sin(la) };
}

/**
 * The straight line between two points of space (cube's `<->` between two `earth` points). The
 * loops over thousands of programs (the matcher, the rings) spell it out over the columns in locals.
 */
function chordBetween(ax: number, ay: number, az: number, bx: number, by: number, bz: number): number {
  const dx = ax - bx;
  const dy = ay - by;
  const dz = az - bz;
  return Math.sqrt(dx * dx + dy * dy + dz * dz);
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

/** Whether a slot lies in the search's weekly window (and has a free seat when asked): the EXISTS of `baseConditions`. */
const windowOf = (f: SearchFilters) => f.weekday !== undefined || f.fromMinute !== undefined || f.toMinute !== undefined;

export interface MemoryAnswer {
  /** The page as `searchPrograms` gives it: up to limit + 1 rows. */
  hits: SearchHit[];
  facets: FacetRow[];
}

/** What a municipality's answers need beside its programs (store/search.ts `municipalityTerms`). */
export interface MunicipalityTerms {
  timeZone: string;
  nominals: ReadonlyMap<number, SearchHit["nominal"]>;
}

export class MunicipalityIndex {
  readonly size: number;
  /**
   * Each program's row as search answers it, without its point (`geo`, kept apart for `refresh`
   * to tell a move) and its ages (the columns hold them: one object fewer per program to mark).
   */
  private readonly rows: Omit<ListedRow, "geo" | "ageRange">[];
  private readonly geo: string[];
  private readonly ids: string[];
  private readonly position: Map<string, number>;
  private readonly direction: Uint8Array;
  private readonly funding: Uint8Array;
  private readonly ageMin: Uint8Array;
  private readonly ageMax: Uint8Array;
  private readonly freeSeats: Int32Array;
  private readonly x: Float64Array;
  private readonly y: Float64Array;
  private readonly z: Float64Array;
  /** Open groups' weekly slots per weekday (1-7), sorted by start. */
  private readonly slots: DaySlots[];
  /**
   * Each program's slots (`SLOT_SHIFT`-encoded places), for their flags to be set when its seats
   * change: program i's are `slotPlaces[slotFrom[i]..slotFrom[i + 1])`. Two typed arrays rather than
   * an array per program: a major collection marks every object the heap holds, and at Moscow's
   * scale that was 100,000 arrays more.
   */
  private readonly slotFrom: Int32Array;
  private readonly slotPlaces: Int32Array;
  /** [free seats only ? 1 : 0][age] -> counts per (direction, funding kind). */
  private readonly ageCounts: Int32Array[][];
  private readonly allCounts: Int32Array[];
  /**
   * Cells of GRID_DEGREES; cell g holds programs `start[g]..start[g + 1]` (the programs are held
   * in grid order); `cellMetres`: the least a cell spans on the ground, `rowMetres`: the least a
   * row spans (north to south).
   */
  private readonly grid: { minLat: number; minLon: number; rows: number; cols: number; start: Int32Array; cellMetres: number; rowMetres: number };
  /** The programs in id order (positions in this index's own order, which is the grid's). */
  private readonly byId: Int32Array;
  /** Each program's grid cell (row * cols + col). */
  private readonly gridOf: Int32Array;
  /** A dense cell's facet counts (`DENSE_CELL`, laid out as `AGE_SLOTS`), undefined for the others. */
  private readonly cellCounts: (Int32Array | undefined)[];
  /**
   * The grid's corners on the earth ((rows + 1) x (cols + 1) points, x y z each), and each cell's
   * centre with the chord from it to its farthest corner: the farthest point of a cell bounded by
   * two meridians and two parallels from any point is one of its corners (along a parallel the
   * distance grows with the difference of longitude, along a meridian it has one minimum), so a
   * cell is wholly inside a radius when its four corners are, and wholly outside when its centre
   * is further than the radius plus that chord (the chord is a distance in space: the triangle
   * inequality holds).
   */
  private readonly corners: Float64Array;
  private readonly centres: Float64Array;
  /** Programs marked by the current slot window (a stamp per search, so nothing is cleared). */
  private readonly mark: Uint32Array;
  private stamp = 0;
  /** The filters the last window was marked for, within one `search` (its facets and its page walk the slots once). */
  private marked: { f: SearchFilters; stamp: number } | undefined;
  /**
   * A weekly window's facet rows, by window, free seats and age: counting them walks every slot
   * in the window (tens of thousands at Moscow's scale, ~1 ms, the costliest search from
   * memory), and families ask the same few windows. Emptied by every change set in place.
   */
  private readonly windowFacets = new Map<string, FacetRow[]>();
  private readonly localDate: Intl.DateTimeFormat;
  private day: { minute: number; today: string; year: number } | undefined;

  /** `listed`: every listed program of the municipality, in id order; `slots`: its open groups' weekly slots. */
  constructor(
    listed: readonly ListedRow[],
    slotRows: readonly SlotRow[],
    private readonly terms: MunicipalityTerms,
  ) {
    const n = listed.length;
    this.size = n;
    // The points first: the programs are held in the grid's order, so that the programs of a cell
    // (all a radius or a nearest-first search reads) lie side by side in every column. In id
    // order a cell's few dozen programs were spread over the whole columns, a cache miss per
    // column read (BENCHMARKS.md, issue #20).
    // The cube's text is float8's shortest exact form: parsed back, the very doubles Postgres holds.
    const points = listed.map((row) => row.geo.slice(1, -1).split(",").map(Number));
    const latitudes = Float64Array.from(points, ([, , z = NaN]) => Math.asin(z / EARTH) / RADIANS_PER_DEGREE);
    const longitudes = Float64Array.from(points, ([x = NaN, y = NaN]) => Math.atan2(y, x) / RADIANS_PER_DEGREE);
    // Reduced, not spread: a spread of a large city's points would exceed the call's argument limit.
    const minLat = latitudes.reduce((a, b) => Math.min(a, b), 90);
    const maxLat = latitudes.reduce((a, b) => Math.max(a, b), -90);
    const minLon = longitudes.reduce((a, b) => Math.min(a, b), 180);
    const maxLon = longitudes.reduce((a, b) => Math.max(a, b), -180);
    const gridRows = n === 0 ? 1 : Math.floor((maxLat - minLat) / GRID_DEGREES) + 1;
    const cols = n === 0 ? 1 : Math.floor((maxLon - minLon) / GRID_DEGREES) + 1;
    // The least a cell spans on the ground (a degree of longitude shrinks away from the equator):
    // whatever lies r rings out is at least (r - 1) of these away.
    const cellMetres = GRID_DEGREES * RADIANS_PER_DEGREE * EARTH * Math.cos(Math.min(89, Math.max(Math.abs(minLat), Math.abs(maxLat))) * RADIANS_PER_DEGREE) * 0.999;
    const rowMetres = GRID_DEGREES * RADIANS_PER_DEGREE * EARTH * 0.999;
    this.grid = { minLat, minLon, rows: gridRows, cols, start: new Int32Array(gridRows * cols + 1), cellMetres, rowMetres };
    const cellOfListed = Int32Array.from(listed, (_, r) => {
      const [row, col] = this.gridCell(latitudes[r]!, longitudes[r]!);
      return row * cols + col;
    });
    // A counting sort by cell (id order kept within one): `order[i]` is the listed row held at i.
    const { start } = this.grid;
    for (const g of cellOfListed) start[g + 1]!++;
    for (let g = 0; g < gridRows * cols; g++) start[g + 1]! += start[g]!;
    const order = new Int32Array(n);
    const next = start.slice(0, gridRows * cols);
    this.byId = new Int32Array(n);
    cellOfListed.forEach((g, r) => {
      order[next[g]!] = r;
      this.byId[r] = next[g]!++;
    });
    const rows = Array.from(order, (r) => listed[r]!);

    this.rows = rows.map(({ geo: _geo, ageRange: _ages, ...row }) => row);
    this.geo = rows.map((row) => row.geo);
    this.ids = rows.map((row) => row.id);
    this.position = new Map(this.ids.map((id, i) => [id, i]));
    this.direction = new Uint8Array(n);
    this.funding = new Uint8Array(n);
    this.ageMin = new Uint8Array(n);
    this.ageMax = new Uint8Array(n);
    this.freeSeats = new Int32Array(n);
    this.x = Float64Array.from(order, (r) => points[r]![0] ?? NaN);
    this.y = Float64Array.from(order, (r) => points[r]![1] ?? NaN);
    this.z = Float64Array.from(order, (r) => points[r]![2] ?? NaN);
    this.gridOf = Int32Array.from(order, (r) => cellOfListed[r]!);
    this.mark = new Uint32Array(n);
    this.ageCounts = [0, 1].map(() => Array.from({ length: MAX_AGE + 1 }, () => new Int32Array(CELLS)));
    this.allCounts = [new Int32Array(CELLS), new Int32Array(CELLS)];
    for (let i = 0; i < n; i++) this.setColumns(i, rows[i]!);

    const byDay = Array.from({ length: 8 }, () => [] as SlotRow[]);
    for (const slot of slotRows) if (this.position.has(slot.programId)) byDay[slot.weekday]?.push(slot);
    this.slots = byDay.map((list) => {
      list.sort((a, b) => a.start - b.start);
      const program = Int32Array.from(list, (s) => this.position.get(s.programId)!);
      return {
        start: Int16Array.from(list, (s) => s.start),
        end: Int16Array.from(list, (s) => s.end),
        free: Uint8Array.from(list, (s) => (s.free ? 1 : 0)),
        program,
        ageMin: Uint8Array.from(program, (i) => this.ageMin[i]!),
        ageMax: Uint8Array.from(program, (i) => this.ageMax[i]!),
        cell: Uint8Array.from(program, (i) => this.cellOf(i)),
      };
    });

    this.slotFrom = new Int32Array(n + 1);
    for (const day of this.slots) for (const i of day.program) this.slotFrom[i + 1]!++;
    for (let i = 0; i < n; i++) this.slotFrom[i + 1]! += this.slotFrom[i]!;
    this.slotPlaces = new Int32Array(this.slotFrom[n]!);
    const filled = this.slotFrom.slice(0, n);
    this.slots.forEach((day, weekday) => day.program.forEach((i, k) => (this.slotPlaces[filled[i]!++] = weekday * SLOT_SHIFT + k)));

    this.cellCounts = Array.from({ length: gridRows * cols }, (_, g) => (start[g + 1]! - start[g]! >= DENSE_CELL ? new Int32Array(2 * AGE_SLOTS * CELLS) : undefined));
    for (let i = 0; i < n; i++) this.count(i, 1);
    this.corners = new Float64Array((gridRows + 1) * (cols + 1) * 3);
    for (let row = 0; row <= gridRows; row++) {
      for (let col = 0; col <= cols; col++) {
        const { x, y, z } = earthPoint(minLat + row * GRID_DEGREES, minLon + col * GRID_DEGREES);
        this.corners.set([x, y, z], (row * (cols + 1) + col) * 3);
      }
    }
    this.centres = new Float64Array(gridRows * cols * 4);
    for (let row = 0; row < gridRows; row++) {
      for (let col = 0; col < cols; col++) {
        const { x, y, z } = earthPoint(minLat + (row + 0.5) * GRID_DEGREES, minLon + (col + 0.5) * GRID_DEGREES);
        const reach = Math.max(...[0, 1, 2, 3].map((corner) => this.cornerChord(row + (corner >> 1), col + (corner & 1), x, y, z)));
        this.centres.set([x, y, z, reach], (row * cols + col) * 4);
      }
    }
    this.localDate = new Intl.DateTimeFormat("en-CA", { timeZone: terms.timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
  }

  private setColumns(i: number, row: ListedRow): void {
    this.direction[i] = DIRECTIONS.indexOf(row.direction);
    this.funding[i] = FUNDING_KINDS.indexOf(row.fundingKind);
    this.ageMin[i] = row.ageRange.min;
    this.ageMax[i] = row.ageRange.max;
    this.freeSeats[i] = row.freeSeats;
  }

  /** Adds (+1) or takes away (-1) program i's place in the facet counts (the municipality's and its dense cell's). */
  private count(i: number, sign: 1 | -1): void {
    const cell = this.cellOf(i);
    const last = Math.min(MAX_AGE, this.ageMax[i]!);
    const own = this.cellCounts[this.gridOf[i]!];
    for (let free = 0; free <= (this.freeSeats[i]! > 0 ? 1 : 0); free++) {
      this.allCounts[free]![cell]! += sign;
      for (let age = this.ageMin[i]!; age <= last; age++) this.ageCounts[free]![age]![cell]! += sign;
      if (own) {
        own[(free * AGE_SLOTS + MAX_AGE + 1) * CELLS + cell]! += sign;
        for (let age = this.ageMin[i]!; age <= last; age++) own[(free * AGE_SLOTS + age) * CELLS + cell]! += sign;
      }
    }
  }

  /** The chord from (x, y, z) to the grid's corner (row, col). */
  private cornerChord(row: number, col: number, x: number, y: number, z: number): number {
    const at = (row * (this.grid.cols + 1) + col) * 3;
    return chordBetween(this.corners[at]!, this.corners[at + 1]!, this.corners[at + 2]!, x, y, z);
  }

  /**
   * Programs `ids` read again (`rows`: those still listed, `slots`: all their open groups'
   * slots): their seats, ratings, titles and the like are set in place. Returns false when the
   * change is not one this can make in place (a program listed or unlisted, moved, or its slots
   * not the same ones): the caller loads the municipality again, and this index is not used.
   */
  refresh(ids: readonly string[], rows: readonly ListedRow[], slots: readonly SlotRow[]): boolean {
    this.marked = undefined;
    this.windowFacets.clear();
    const fresh = new Map(rows.map((row) => [row.id, row]));
    for (const id of ids) {
      const i = this.position.get(id);
      const row = fresh.get(id);
      if (i === undefined || !row) return i === undefined && !row;
      const { geo, ageRange: _ages, ...fields } = row;
      if (geo !== this.geo[i]) return false;
      this.count(i, -1);
      this.setColumns(i, row);
      this.count(i, 1);
      this.rows[i] = fields;
      for (const place of this.placesOf(i)) {
        const day = this.slots[Math.floor(place / SLOT_SHIFT)]!;
        const k = place % SLOT_SHIFT;
        day.ageMin[k] = this.ageMin[i]!;
        day.ageMax[k] = this.ageMax[i]!;
        day.cell[k] = this.cellOf(i);
      }
      // The same slots (weekday, start, end, as multisets), their flags set from the rows read.
      const places = new Map<string, number[]>();
      for (const place of this.placesOf(i)) {
        const day = this.slots[Math.floor(place / SLOT_SHIFT)]!;
        const k = place % SLOT_SHIFT;
        const key = `${Math.floor(place / SLOT_SHIFT)}.${day.start[k]}.${day.end[k]}`;
        places.set(key, [...(places.get(key) ?? []), place]);
      }
      let matched = 0;
      for (const slot of slots) {
        if (slot.programId !== id) continue;
        const place = places.get(`${slot.weekday}.${slot.start}.${slot.end}`)?.pop();
        if (place === undefined) return false;
        this.slots[Math.floor(place / SLOT_SHIFT)]!.free[place % SLOT_SHIFT] = slot.free ? 1 : 0;
        matched++;
      }
      if (matched !== this.placesOf(i).length) return false;
    }
    return true;
  }

  private placesOf(i: number): Int32Array {
    return this.slotPlaces.subarray(this.slotFrom[i], this.slotFrom[i + 1]);
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
    return chordBetween(this.x[i]!, this.y[i]!, this.z[i]!, p.x, p.y, p.z);
  }

  private fitsAge(i: number, age: number | undefined): boolean {
    return age === undefined || (this.ageMin[i]! <= age && this.ageMax[i]! >= age);
  }

  /** Marks the programs with a slot in the window (with a free seat, when asked) and of the age; returns the stamp. */
  private markWindow(f: SearchFilters, each?: (i: number, cell: number) => void): number {
    const stamp = ++this.stamp;
    this.marked = { f, stamp };
    const from = f.fromMinute ?? -1;
    const to = f.toMinute ?? Number.MAX_SAFE_INTEGER;
    const onlyFree = f.onlyFreeSeats === true;
    const age = f.age ?? -1;
    const { mark } = this;
    for (const weekday of f.weekday !== undefined ? [f.weekday] : [1, 2, 3, 4, 5, 6, 7]) {
      const day = this.slots[weekday];
      if (!day) continue;
      const { start, end, free, program, ageMin, ageMax, cell } = day;
      for (let k = firstNotBelow(start.length, (j) => start[j]! < from); k < start.length && start[k]! <= to; k++) {
        if (end[k]! > to || (onlyFree && free[k] === 0) || (age >= 0 && (ageMin[k]! > age || ageMax[k]! < age))) continue;
        const i = program[k]!;
        if (mark[i] === stamp) continue;
        mark[i] = stamp;
        if (each) each(i, cell[k]!);
      }
    }
    return stamp;
  }

  /** Whether program i has a slot in the window (with a free seat, when asked) and is of the age: `markWindow`'s test, for one program. */
  private slotTest(f: SearchFilters): (i: number) => boolean {
    const from = f.fromMinute ?? -1;
    const to = f.toMinute ?? Number.MAX_SAFE_INTEGER;
    const weekday = f.weekday ?? -1;
    const onlyFree = f.onlyFreeSeats === true;
    const age = f.age ?? -1;
    const { slotFrom, slotPlaces, slots, ageMin, ageMax } = this;
    return (i) => {
      if (age >= 0 && (ageMin[i]! > age || ageMax[i]! < age)) return false;
      for (let p = slotFrom[i]!; p < slotFrom[i + 1]!; p++) {
        const place = slotPlaces[p]!;
        const day = Math.floor(place / SLOT_SHIFT);
        if (weekday >= 0 && day !== weekday) continue;
        const { start, end, free } = slots[day]!;
        const k = place - day * SLOT_SHIFT;
        if (start[k]! >= from && end[k]! <= to && (!onlyFree || free[k] !== 0)) return true;
      }
      return false;
    };
  }

  /** `baseConditions` (and direction and funding kind, unless `facets`): whether program i matches. */
  private matcher(f: SearchFilters, facets: boolean): (i: number) => boolean {
    const direction = f.direction && !facets ? DIRECTIONS.indexOf(f.direction) : -1;
    const funding = f.fundingKind && !facets ? FUNDING_KINDS.indexOf(f.fundingKind) : -1;
    const window = windowOf(f);
    // Programs marked by this search's walk of the window's slots (its facets), or else each program's own slots looked at.
    const stamp = window && this.marked?.f === f && this.marked.stamp === this.stamp ? this.marked.stamp : undefined;
    const slotted = window && stamp === undefined ? this.slotTest(f) : undefined;
    const age = f.age ?? -1;
    const onlyFree = f.onlyFreeSeats === true;
    // Columns and the point in locals: this runs for every program a search looks at (a
    // radius's facets, thousands), and reading them through `this` and `f` cost twice as much.
    const { direction: directions, funding: fundings, ageMin, ageMax, freeSeats, mark, x, y, z } = this;
    const point = f.near?.radiusMetres !== undefined ? earthPoint(f.near.latitude, f.near.longitude) : undefined;
    const radius = f.near?.radiusMetres !== undefined ? chordOf(f.near.radiusMetres) : Infinity;
    const [px, py, pz] = point ? [point.x, point.y, point.z] : [0, 0, 0];
    const inRadius = point !== undefined;
    return (i) => {
      if ((direction >= 0 && directions[i] !== direction) || (funding >= 0 && fundings[i] !== funding)) return false;
      if (window) {
        if (slotted ? !slotted(i) : mark[i] !== stamp) return false;
      } else if ((age >= 0 && (ageMin[i]! > age || ageMax[i]! < age)) || (onlyFree && freeSeats[i]! <= 0)) return false;
      if (!inRadius) return true;
      const dx = x[i]! - px;
      const dy = y[i]! - py;
      const dz = z[i]! - pz;
      return Math.sqrt(dx * dx + dy * dy + dz * dz) <= radius;
    };
  }

  /** The answer's page and facet rows, as Postgres gives them at `now`. Searches with words are not answered here. */
  search(f: SearchFilters, order: SearchOrder, after: Cursor | undefined, limit: number, now: Date): MemoryAnswer {
    this.marked = undefined;
    // The facets first: with a weekly window their walk of the slots marks the programs the page then reads.
    const facets = this.facets(f);
    const { today, year } = this.localDay(now);
    const nominal = this.terms.nominals.get(year) ?? null;
    const hit = (i: number, sortKey: number | null, distanceMetres: number | null): SearchHit => {
      const row = this.rows[i]!;
      const acceptingApplications = row.fundingKind !== "financed" || (row.certification !== null && row.certification.expiry >= today);
      return { ...row, ageRange: { min: this.ageMin[i]!, max: this.ageMax[i]! }, sortKey, nominal, acceptingApplications, distanceMetres };
    };
    if (order === "distance" && f.near) {
      const page = this.nearest(f, f.near, after, limit);
      return { hits: page.map(({ chord, i }) => hit(i, chord, 2 * EARTH * Math.asin(chord / (2 * EARTH)))), facets };
    }
    return { hits: this.positions(f, after?.id, limit).map((i) => hit(i, null, null)), facets };
  }

  /**
   * The municipality's local date and year at `now`, computed once a minute: every zone's
   * midnight falls on a whole minute of UTC, so within one the date cannot change.
   */
  private localDay(now: Date): { today: string; year: number } {
    const minute = Math.floor(now.getTime() / 60_000);
    if (this.day?.minute !== minute) {
      const parts = this.localDate.formatToParts(now);
      const [year = "", month = "", day = ""] = ["year", "month", "day"].map((type) => parts.find((part) => part.type === type)?.value ?? "");
      this.day = { minute, today: `${year}-${month}-${day}`, year: Number(year) };
    }
    return this.day;
  }

  private positions(f: SearchFilters, afterId: string | undefined, limit: number): number[] {
    const wanted = this.matcher(f, false);
    const page: number[] = [];
    // Ids sort as Postgres sorts uuids: lowercase hex compares byte for byte.
    const { ids, byId } = this;
    for (let k = afterId ? firstNotBelow(this.size, (j) => ids[byId[j]!]! <= afterId) : 0; k < this.size && page.length <= limit; k++) {
      if (wanted(byId[k]!)) page.push(byId[k]!);
    }
    return page;
  }

  /**
   * Nearest first from the point, after the cursor's (key, id): rings of grid cells outwards
   * until the page is full and nearer than anything a further ring can hold. The cursor's key
   * is computed again for its row when it is still here (a cursor Postgres wrote may differ in
   * its last bits), as `searchPrograms` does.
   */
  private nearest(f: SearchFilters, near: NonNullable<SearchFilters["near"]>, after: Cursor | undefined, limit: number): { chord: number; i: number }[] {
    const matches = this.matcher(f, false);
    const point = earthPoint(near.latitude, near.longitude);
    const afterAt = after ? this.position.get(after.id) : undefined;
    const afterKey = after ? (afterAt !== undefined ? this.chord(afterAt, point) : (after.key ?? -Infinity)) : -Infinity;
    const afterId = after?.id ?? "";
    // Candidates in two arrays; after each ring only those that can still be on the page (or be
    // the next page's first row) are kept, found by a numeric sort of their chords, so the
    // comparator's sort (id breaking ties) runs on a page's worth, not on every point looked at.
    let chords: number[] = [];
    let positions: number[] = [];
    const { rows, cols, start, cellMetres } = this.grid;
    // A point outside the grid starts from its nearest cell: nothing in a ring is nearer than that ring's bound either.
    const [row0, col0] = this.gridCell(near.latitude, near.longitude);
    const lastRing = near.radiusMetres !== undefined ? Math.ceil(near.radiusMetres / cellMetres) + 1 : Math.max(rows, cols);
    const { x, y, z, ids } = this;
    const { x: px, y: py, z: pz } = point;
    let worst = Infinity;
    for (let ring = 0; ring <= lastRing; ring++) {
      // Done once the page is full and nearer than anything this ring or a further one can hold.
      if (chords.length > limit && worst < (ring - 1) * cellMetres) break;
      for (let row = row0 - ring; row <= row0 + ring; row++) {
        if (row < 0 || row >= rows) continue;
        const edge = row === row0 - ring || row === row0 + ring;
        for (let col = col0 - ring; col <= col0 + ring; col += edge || ring === 0 ? 1 : 2 * ring) {
          if (col < 0 || col >= cols) continue;
          for (let i = start[row * cols + col]!; i < start[row * cols + col + 1]!; i++) {
            const dx = x[i]! - px;
            const dy = y[i]! - py;
            const dz = z[i]! - pz;
            const chord = Math.sqrt(dx * dx + dy * dy + dz * dz);
            if (chord > worst || chord < afterKey || (chord === afterKey && ids[i]! <= afterId) || !matches(i)) continue;
            chords.push(chord);
            positions.push(i);
          }
        }
      }
      if (chords.length > limit + 1) {
        worst = Float64Array.from(chords).sort()[limit]!;
        const keptChords: number[] = [];
        const kept: number[] = [];
        chords.forEach((chord, k) => {
          if (chord <= worst) {
            keptChords.push(chord);
            kept.push(positions[k]!);
          }
        });
        chords = keptChords;
        positions = kept;
      }
    }
    const before = (a: { chord: number; i: number }, b: { chord: number; i: number }) => a.chord - b.chord || (ids[a.i]! < ids[b.i]! ? -1 : 1);
    return chords
      .map((chord, k) => ({ chord, i: positions[k]! }))
      .sort(before)
      .slice(0, limit + 1);
  }

  /** `searchFacets`: counts per (direction, funding kind) under every other filter. */
  facets(f: SearchFilters): FacetRow[] {
    const free = f.onlyFreeSeats === true ? 1 : 0;
    const window = windowOf(f);
    const counts = new Int32Array(CELLS);
    if (f.near?.radiusMetres === undefined) {
      if (window) {
        const key = `${f.weekday ?? ""}.${f.fromMinute ?? ""}.${f.toMinute ?? ""}.${free}.${f.age ?? ""}`;
        const known = this.windowFacets.get(key);
        if (known) return known;
        this.markWindow(f, (_i, cell) => counts[cell]!++);
        if (this.windowFacets.size >= WINDOW_FACETS) this.windowFacets.clear();
        const facetRows = rowsOf(counts);
        this.windowFacets.set(key, facetRows);
        return facetRows;
      }
      if (f.age === undefined) return rowsOf(this.allCounts[free]!);
      if (f.age <= MAX_AGE) return rowsOf(this.ageCounts[free]![f.age]!);
    }
    const matches = this.matcher(f, true);
    const near = f.near?.radiusMetres !== undefined ? f.near : undefined;
    if (!near) {
      for (let i = 0; i < this.size; i++) if (matches(i)) counts[this.cellOf(i)]!++;
      return rowsOf(counts);
    }
    // A row spans more ground than a column away from the equator: fewer rows than columns to look at.
    const rowReach = Math.ceil(near.radiusMetres! / this.grid.rowMetres) + 1;
    const colReach = Math.ceil(near.radiusMetres! / this.grid.cellMetres) + 1;
    const [row0, col0] = this.gridCell(near.latitude, near.longitude);
    const { rows, cols, start } = this.grid;
    const { x: px, y: py, z: pz } = earthPoint(near.latitude, near.longitude);
    const radius = chordOf(near.radiusMetres!);
    // A dense cell wholly inside adds its kept counts; without a window they are what testing its programs would count.
    const ageSlot = f.age === undefined ? MAX_AGE + 1 : f.age >= 0 && f.age <= MAX_AGE ? f.age : -1;
    const kept = !window && ageSlot >= 0 ? (free * AGE_SLOTS + ageSlot) * CELLS : -1;
    const { centres, cellCounts } = this;
    for (let row = Math.max(0, row0 - rowReach); row <= Math.min(rows - 1, row0 + rowReach); row++) {
      for (let col = Math.max(0, col0 - colReach); col <= Math.min(cols - 1, col0 + colReach); col++) {
        const g = row * cols + col;
        if (start[g] === start[g + 1]) continue;
        if (chordBetween(centres[g * 4]!, centres[g * 4 + 1]!, centres[g * 4 + 2]!, px, py, pz) - centres[g * 4 + 3]! > radius + EDGE_DOUBT_METRES) continue;
        const own = cellCounts[g];
        if (
          own &&
          kept >= 0 &&
          Math.max(this.cornerChord(row, col, px, py, pz), this.cornerChord(row + 1, col, px, py, pz), this.cornerChord(row, col + 1, px, py, pz), this.cornerChord(row + 1, col + 1, px, py, pz)) <
            radius - EDGE_DOUBT_METRES
        ) {
          for (let cell = 0; cell < CELLS; cell++) counts[cell]! += own[kept + cell]!;
          continue;
        }
        for (let i = start[g]!; i < start[g + 1]!; i++) if (matches(i)) counts[this.cellOf(i)]!++;
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
