// The benchmark's check of the catalogue's index in memory (issue #20; `--in-memory N`): the
// searches without words computed by the service's own index (store/search-memory.ts, loaded as
// store/search-index.ts loads it) beside Postgres computing the same searches on the same data,
// at Moscow's scale. Each kind's parameter sets are the benchmark's own (queries.ts), every one
// asked of both, and its next page through the cursor each wrote, compared: the page's rows in
// order, field by field, and the facet rows; and both timed.
import { performance } from "node:perf_hooks";
import type { Queryable } from "@kruzhok/postgres";
import { decodeCursor, type Cursor } from "../../../services/catalogue/src/domain/search";
import { listedRows, municipalityTerms, searchFacets, searchPrograms, slotRows, type FacetRow, type SearchHit } from "../../../services/catalogue/src/store/search";
import { MunicipalityIndex } from "../../../services/catalogue/src/store/search-memory";
import { fmt, type Table } from "../lib/report";
import type { BenchMunicipality } from "./data";
import { filtersOf, floorQuery, pathOf, queryOf, searchIn, type Kind } from "./queries";

/** A row's fields as JSON with its keys sorted: the index builds its rows in another key order than Postgres returns columns (the route picks fields by name). */
const canonical = (row: object) => JSON.stringify(Object.entries(row).sort(([a], [b]) => (a < b ? -1 : 1)));

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
    if (canonical(fields) !== canonical(otherFields)) return undefined;
    if ((distanceMetres === null) !== (otherDistance === null) || Math.round(distanceMetres ?? 0) !== Math.round(otherDistance ?? 0)) return undefined;
    if ((sortKey === null) !== (otherKey === null)) return undefined;
    off = Math.max(off, Math.abs((sortKey ?? 0) - (otherKey ?? 0)));
  }
  return off < 1e-6 ? off : undefined;
}

const PROBED = ["municipality", "filters", "nearest", "schedule", "radius", "floor"] as const;
type Probed = Extract<Kind, (typeof PROBED)[number]> | "floor";

/**
 * Loads the municipality's index as the catalogue does, then asks both `perKind` parameter sets of
 * each kind without words (and the floor's page after a random id), one after the other on one
 * connection: Postgres's wall time per search (results, facets) against the index's (both), and
 * whether the answers, and the next pages through each side's cursor, were the same.
 */
export async function probeInMemory(db: Queryable, municipality: BenchMunicipality, perKind: number, progress: (message: string) => void): Promise<Table> {
  const loading = performance.now();
  const now = new Date();
  const terms = await municipalityTerms(db, municipality.id);
  if (!terms) throw new Error(`${municipality.name} is not in the catalogue`);
  const everyRow = await listedRows(db, municipality.id, undefined, now);
  const slots = await slotRows(db, municipality.id, undefined);
  const index = new MunicipalityIndex(everyRow, slots, terms);
  const loadMs = performance.now() - loading;
  progress(`in-memory check: ${fmt(index.size)} listed programs and ${fmt(slots.length)} slots of ${municipality.name} held in ${fmt(loadMs)} ms; ${fmt(perKind)} searches per kind`);

  searchIn([municipality]);
  const rows: string[][] = [];
  for (const kind of PROBED as readonly Probed[]) {
    let same = 0;
    let nextSame = 0;
    let nextAsked = 0;
    let keyOff = 0;
    const time = { pgResults: 0, pgFacets: 0, memory: 0 };
    for (let round = 0; round < perKind; round++) {
      const query = kind === "floor" ? floorQuery() : queryOf(kind);
      const filters = filtersOf(pathOf(query));
      const order = filters.near ? "distance" : "id";
      const after = query.cursor ? decodeCursor(query.cursor, "id") : undefined;
      let at = performance.now();
      const hits = await searchPrograms(db, filters, order, after, 20, now);
      time.pgResults += performance.now() - at;
      at = performance.now();
      const facets = await searchFacets(db, filters);
      time.pgFacets += performance.now() - at;
      at = performance.now();
      const memory = index.search(filters, order, after, 20, now);
      time.memory += performance.now() - at;
      const keys = sameRows(memory.hits, hits);
      if (keys !== undefined && sameFacets(memory.facets, facets)) {
        same++;
        keyOff = Math.max(keyOff, keys);
      }
      // The next page through Postgres's cursor and through the index's, asked of both.
      const cursorOf = (page: readonly SearchHit[]): Cursor | undefined => (page.length > 20 ? { order, key: order === "id" ? null : page[19]!.sortKey, id: page[19]!.id } : undefined);
      const cursors = [cursorOf(hits), cursorOf(memory.hits)];
      if (cursors[0] && cursors[1]) {
        nextAsked++;
        const expected = await searchPrograms(db, filters, order, cursors[0], 20, now);
        const answers = [await searchPrograms(db, filters, order, cursors[1], 20, now), index.search(filters, order, cursors[0], 20, now).hits, index.search(filters, order, cursors[1], 20, now).hits];
        if (answers.every((page) => sameRows(page, expected) !== undefined)) nextSame++;
      }
    }
    const us = (ms: number) => fmt((ms * 1_000) / perKind);
    rows.push([
      kind,
      `${fmt(same)} of ${fmt(perKind)}${keyOff > 0 ? `; sort keys within ${keyOff.toExponential(1)} m` : ""}`,
      `${fmt(nextSame)} of ${fmt(nextAsked)}`,
      us(time.pgResults),
      us(time.pgFacets),
      us(time.memory),
    ]);
  }
  return {
    headers: [
      `the index in memory (--in-memory): ${municipality.name}, ${fmt(index.size)} listed programs, ${fmt(slots.length)} slots, held in ${fmt(loadMs)} ms`,
      "same answer (the page's rows, every field, distance in metres; facet rows)",
      "the next page the same through either side's cursor, on either side",
      "Postgres results µs (wall)",
      "Postgres facets µs (wall)",
      "the index: results and facets µs",
    ],
    rows,
  };
}
