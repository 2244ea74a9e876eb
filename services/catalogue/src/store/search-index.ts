import { counter, gauge, type Gauge, type Logger, type Registry } from "@kruzhok/observability";
import { withTransaction, type Pool, type Queryable } from "@kruzhok/postgres";
import type { Cursor, SearchOrder } from "../domain/search";
import { listedRows, municipalityIds, municipalityTerms, seatFilterOf, slotRows, type SearchFilters } from "./search";
import { alters, keptSeats, type SearchCache, type SearchChangeListener, type SeatChange } from "./search-cache";
import { MunicipalityIndex, type MemoryAnswer } from "./search-memory";

/**
 * The navigator's index in memory (issue #20): each municipality's listed programs held in this
 * process (store/search-memory.ts), so that a search without words is computed in microseconds
 * instead of asking Postgres, whose cheapest computed search cost more CPU than the fresh-search
 * goal leaves (BENCHMARKS.md).
 *
 * Kept in step through the answer cache's LISTEN connection (store/search-cache.ts), by the same
 * freshness rule: an answer computed here reflects every change this process has heard of.
 *  - A change of seats names its programs (migration 0008): they are read again, batched, and
 *    set in place. Until then only the answers those changes may alter (`alters`, the cache's
 *    own test: the programs shown, and with "only free seats" those whose flags flipped) are
 *    left to Postgres; on an opening day the rest of the municipality still answers from here.
 *  - Any other change says only its municipality (a bulk statement, a provider suspended, sends
 *    one notification): the municipality is loaded again, whole, in one snapshot, and Postgres
 *    answers its searches meanwhile (Moscow's 100,000 programs: ~6 s).
 *  - A change this process is making (`changing()`) and has not heard back keeps the answers it
 *    may alter away from here, as it keeps them away from the cache.
 *  - When the LISTEN connection is lost, or before it first listens, nothing here is used.
 * Searches with words (ranked by Postgres's `ts_rank` over its stemmer's lexemes) and searches
 * over every municipality are always Postgres's.
 */
export interface SearchIndexOptions {
  /** Pause before a load or refresh that failed is tried again. */
  retryMs?: number;
  logger?: Logger;
  metrics?: Registry;
}

interface Held {
  index: MunicipalityIndex | undefined;
  /** Bumped by every change other than seats (and by a reset): the index is current when it was loaded at the last bump. */
  changes: number;
  loadedAt: number;
  /** Seat changes heard of and not yet set in place (those being read included), oldest first. */
  seats: SeatChange[];
}

/** Loaded since the last change other than seats (or reset): its index may answer, seat changes aside. */
const current = (held: Held): held is Held & { index: MunicipalityIndex } => held.index !== undefined && held.loadedAt === held.changes;

export class SearchIndex implements SearchChangeListener {
  private readonly held = new Map<string, Held>();
  private pool: Pool | undefined;
  private running = false;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  private readonly retryMs: number;
  private readonly logger: Logger | undefined;
  private readonly computed;

  constructor(
    private readonly cache: SearchCache,
    options: SearchIndexOptions = {},
  ) {
    this.retryMs = options.retryMs ?? 1_000;
    this.logger = options.logger;
    cache.subscribe(this);
    this.computed = options.metrics
      ? counter(options.metrics, { name: "catalogue_search_computed_total", help: "Navigator answers computed (not from the answer cache), by what computed them", labelNames: ["source"] as const })
      : undefined;
    if (options.metrics) {
      const programs: Gauge = gauge(options.metrics, {
        name: "catalogue_search_index_programs",
        help: "Listed programs the navigator's index in memory holds and can answer from",
        collect: () => {
          let total = 0;
          for (const held of this.held.values()) if (current(held)) total += held.index.size;
          programs.set(total);
        },
      });
    }
  }

  /** Loads every municipality, in the background (Postgres answers each until it is loaded). Call once the cache listens. */
  async start(pool: Pool): Promise<void> {
    this.pool = pool;
    this.stopped = false;
    for (const id of await municipalityIds(pool)) this.held.set(id, this.held.get(id) ?? { index: undefined, changes: 1, loadedAt: 0, seats: [] });
    this.pump();
  }

  stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    return Promise.resolve();
  }

  /** Whether the municipality's programs are all held and current (tests wait for it). */
  holds(municipalityId: string): boolean {
    const held = this.held.get(municipalityId);
    return held !== undefined && current(held) && held.seats.length === 0;
  }

  changed(scope: string, seats: SeatChange | undefined): void {
    if (scope === "*") {
      this.reset();
      return;
    }
    // A municipality not held yet (created since the start) is loaded whole.
    const held = this.held.get(scope) ?? { index: undefined, changes: 1, loadedAt: 0, seats: [] };
    this.held.set(scope, held);
    if (seats) held.seats.push(seats);
    else held.changes++;
    this.pump();
  }

  reset(): void {
    for (const held of this.held.values()) held.changes++;
    this.pump();
  }

  /**
   * The answer from memory, when the municipality is held and nothing heard of since may alter
   * it (see above); undefined: ask Postgres.
   */
  search(f: SearchFilters, order: SearchOrder, after: Cursor | undefined, limit: number, now: Date): MemoryAnswer | undefined {
    const answer = this.answer(f, order, after, limit, now);
    this.computed?.inc({ source: answer ? "memory" : "postgres" });
    return answer;
  }

  private answer(f: SearchFilters, order: SearchOrder, after: Cursor | undefined, limit: number, now: Date): MemoryAnswer | undefined {
    // Not while the cache does not listen: a municipality loaded meanwhile may miss changes unheard.
    if (f.text || !f.municipalityId || !this.cache.isListening) return undefined;
    const held = this.held.get(f.municipalityId);
    if (!held || !current(held)) return undefined;
    const answer = held.index.search(f, order, after, limit, now);
    const view = { programs: answer.hits.map((hit) => hit.id), filter: seatFilterOf(f) };
    const kept = keptSeats(view);
    if (held.seats.some((change) => alters(kept, change)) || this.cache.changePending(f.municipalityId, view)) return undefined;
    return answer;
  }

  /** One load or refresh at a time, seat refreshes first (they are quick and an opening day waits on them). */
  private pump(): void {
    if (this.running || this.stopped || !this.pool) return;
    const pool = this.pool;
    let due: [string, Held] | undefined;
    for (const entry of this.held) if (entry[1].seats.length > 0 && current(entry[1])) due = entry;
    if (!due) for (const entry of this.held) if (!current(entry[1])) due = entry;
    if (!due) return;
    const [id, held] = due;
    this.running = true;
    const work = current(held) ? this.refresh(pool, id, held, held.index) : this.load(pool, id, held);
    work
      .then(() => {
        this.running = false;
        this.pump();
      })
      .catch((err: unknown) => {
        this.running = false;
        if (this.stopped) return;
        this.logger?.warn({ err, municipalityId: id }, "search index: reading programs failed; Postgres answers the municipality's searches until it is tried again");
        clearTimeout(this.retry);
        this.retry = setTimeout(() => this.pump(), this.retryMs).unref();
      });
  }

  /** The municipality whole, in one snapshot: the seat changes heard of before it began are in it. */
  private async load(pool: Pool, id: string, held: Held): Promise<void> {
    const changes = held.changes;
    const covered = held.seats.length;
    const started = performance.now();
    const read = await snapshot(pool, async (db) => {
      const terms = await municipalityTerms(db, id);
      return terms && { terms, rows: await listedRows(db, id, undefined, new Date()), slots: await slotRows(db, id, undefined) };
    });
    if (!read) {
      // No such municipality (any more): nothing to hold, and its searches find nothing in Postgres either.
      this.held.delete(id);
      return;
    }
    held.seats.splice(0, covered);
    held.index = new MunicipalityIndex(read.rows, read.slots, read.terms);
    held.loadedAt = changes;
    this.logger?.info({ municipalityId: id, programs: read.rows.length, slots: read.slots.length, ms: Math.round(performance.now() - started) }, "search index: municipality loaded");
  }

  /** The programs of the seat changes heard of so far read again and set in place; one that cannot be makes a whole load due. */
  private async refresh(pool: Pool, id: string, held: Held, index: MunicipalityIndex): Promise<void> {
    const taken = held.seats.length;
    const ids = [...new Set(held.seats.flatMap((change) => [...change.programs]))];
    const read = await snapshot(pool, async (db) => ({ rows: await listedRows(db, id, ids, new Date()), slots: await slotRows(db, id, ids) }));
    // A load begun meanwhile (none runs beside this, but a reset may have come) decides instead.
    if (held.index !== index || !current(held)) return;
    if (!index.refresh(ids, read.rows, read.slots)) held.changes++;
    held.seats.splice(0, taken);
  }
}

/** Reads in one snapshot (repeatable read): a municipality's programs, slots and terms agree with each other. */
const snapshot = <T>(pool: Pool, read: (db: Queryable) => Promise<T>): Promise<T> => withTransaction(pool, read, { isolation: "repeatable read" });
