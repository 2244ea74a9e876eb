import { randomUUID } from "node:crypto";
import type { Notification } from "pg";
import { counter, gauge, type Gauge, type Logger, type Registry } from "@kruzhok/observability";
import type { Pool, Queryable } from "@kruzhok/postgres";
import type { SeatFlips, SlotFlip, SlotWindow } from "./search";

/**
 * The navigator's answer cache: whole serialized answers of GET /search (page, facets, total,
 * cursor) in this process's memory, per municipality, dropped whenever anything search shows
 * changes in that municipality.
 *
 * Freshness rule. An answer served from here is never older than the last change to its
 * municipality that this process has heard of, and it hears of a change
 *  - made by this process (a use case, called by a route or a consumer): the moment its
 *    transaction commits, because the use-case layer (usecases/transaction.ts) calls
 *    `changing()` inside the transaction, which keeps every search of that municipality away
 *    from the cache until the commit's own notification arrives back (or, should the
 *    transaction roll back, for `pendingMs` at most);
 *  - made by another catalogue instance, or by hand in psql: when Postgres delivers the
 *    `catalogue_search` notification that the triggers of migration 0003 send on commit, on the
 *    LISTEN connection held here: typically a millisecond or two after the commit.
 * Seat counts, ratings, suspensions, publications and withdrawals are all changes in that
 * sense (nothing is served stale by design); without a LISTEN connection (before `listen()`,
 * or while it reconnects) every search goes to Postgres and nothing is kept.
 *
 * Seat changes are narrower (migration 0008): a change that only takes or frees seats of some
 * programs drops the answers that show those programs, and the answers asked with "only free
 * seats" whose matches it may change: when a program gained its first free seat or lost its
 * last, those asked without a weekday or time; when a weekly slot's flag flipped, those whose
 * window holds the slot. The rest of the municipality's stay, so that an opening day's
 * enrollments (dozens a second) do not empty the cache. Each answer tells which programs' seats
 * it shows and what it filtered by (`SeatView`); an answer that does not is dropped by every
 * change, as before.
 */
export interface SearchCacheOptions {
  /**
   * Memory the cache may take, in bytes: the answers (their JSON) and their keys, the least
   * recently used evicted first, plus the requests remembered for `answerSeen` (their URLs and
   * keys, at most an eighth of this, forgotten wholesale beyond). Keys are counted because a
   * client chooses them: anonymous searches padded to 16 KiB with small answers once filled
   * gigabytes while the answers' own bytes stayed under the bound. Default 64 MiB.
   */
  maxBytes?: number;
  /** How long a change announced by `changing()` keeps its municipality uncached without its commit being heard of. */
  pendingMs?: number;
  /** Pause before the LISTEN connection is opened again after it failed. */
  reconnectMs?: number;
  metrics?: Registry;
  logger?: Logger;
}

export const SEARCH_CHANNEL = "catalogue_search";
/** The scope of answers over every municipality, and of a change whose municipality is not known. */
const EVERYWHERE = "*";
const MAX_SEEN = 100_000;
/** What an entry of a Map costs beside its strings and buffers (the entry, the object, the Buffer's own header), rounded up. */
const ENTRY_OVERHEAD = 160;
/** What a page program's reference to its answer's key costs in `showing` (an array slot, rounded up). */
const SHOWING_REF = 8;

/** Bytes a string holds: one per character for Latin-1 (URLs, JSON of ASCII), two otherwise; counted as two when unsure. */
const stringBytes = (text: string) => (/[^\p{ASCII}\u00a0-\u00ff]/u.test(text) ? text.length * 2 : text.length);

interface Entry {
  scope: string;
  /** The answer as UTF-8 JSON, ready for the socket. */
  body: Buffer;
  seats: KeptSeats | undefined;
  /** What the entry holds: its body, its key, its seat view, its page's references in `showing` and the overhead. */
  size: number;
}

/** A municipality's answers (or those over every municipality), and those of them a seat change may alter whatever page they show. */
interface ScopeKeys {
  all: Set<string>;
  /** Answers without a seat view (they depend on everything) or asked with "only free seats" (`SeatView.filter`). */
  seatBound: Set<string>;
}

const entrySize = (key: string, body: Buffer, seats: KeptSeats | undefined, shown: number) =>
  body.length + stringBytes(key) + (seats?.programs.length ?? 0) + shown * SHOWING_REF + ENTRY_OVERHEAD;
const programsOf = (seats: KeptSeats): string[] => (seats.programs === "" ? [] : seats.programs.split(","));

export type SearchCacheOutcome = "hit" | "shared" | "miss" | "bypass";

/** What an answer shows of seats, so that a seat change drops only the answers it alters. */
export interface SeatView {
  /** The programs whose free seats the answer shows (its page). */
  programs: readonly string[];
  /**
   * Asked with "only free seats" (`seatFilterOf`): which programs match, and how many, depends on
   * whether programs have a free seat ("programs"), or slots in a weekly window; null: not asked.
   */
  filter: SlotWindow | "programs" | null;
}

/** A computed answer and what it shows of seats (none given: it depends on everything in its municipality). */
export interface Computed {
  body: Buffer;
  seats?: SeatView | undefined;
}

/** An answer's seat view as kept: the program ids joined (a third of an array's memory, and `includes` finds one). */
export interface KeptSeats {
  programs: string;
  filter: SeatView["filter"];
}

/** A seat-only change a use case is making: of these programs, with what flipped (`SeatFlips`). */
export interface SeatsChanging extends SeatFlips {
  programs: string[];
}

/**
 * A change of seats of these programs. `program`: one of them gained its first free seat or lost
 * its last. `slots`: weekly slots of theirs whose flag flipped ("any": not known yet). Neither:
 * only their counts of free seats changed.
 */
export interface SeatChange {
  programs: ReadonlySet<string>;
  program: boolean;
  slots: readonly SlotFlip[] | "any";
}

/** The slot lies in the window, as the EXISTS of `baseConditions` (store/search.ts) tests it. */
const inWindow = (slot: SlotFlip, window: SlotWindow) =>
  (window.weekday === undefined || slot.weekday === window.weekday) && (window.fromMinute === undefined || slot.start >= window.fromMinute) && (window.toMinute === undefined || slot.end <= window.toMinute);

/** Whether `change` (undefined: any change at all) alters an answer keeping `seats`. */
export function alters(seats: KeptSeats | undefined, change: SeatChange | undefined): boolean {
  if (!change || !seats) return true;
  const filter = seats.filter;
  if (filter === "programs" && change.program) return true;
  if (filter !== null && filter !== "programs" && (change.slots === "any" || change.slots.some((slot) => inWindow(slot, filter)))) return true;
  for (const id of change.programs) if (seats.programs.includes(id)) return true;
  return false;
}

export const keptSeats = (seats: SeatView | undefined): KeptSeats | undefined => (seats ? { programs: seats.programs.join(","), filter: seats.filter } : undefined);
/** Seat changes heard of, kept so that an answer computed across one is kept only when the change does not alter it. */
const SEAT_LOG = 4_096;

/**
 * What else in the process keeps a copy of search's data (the index in memory,
 * store/search-index.ts) hears through the cache's LISTEN connection: every change, as the
 * cache reads it, and when changes may have gone unheard.
 */
export interface SearchChangeListener {
  /** A change in `scope` (a municipality's id, or "*": anywhere); `seats`: it only took or freed seats of these programs. */
  changed(scope: string, seats: SeatChange | undefined): void;
  /** Listening (again): changes made before may not have been heard of, so nothing held before can be trusted. */
  reset(): void;
}

export class SearchCache {
  private readonly maxBytes: number;
  private readonly pendingMs: number;
  private readonly reconnectMs: number;
  private readonly logger: Logger | undefined;
  private readonly outcomes;
  /** Key -> answer; a Map keeps insertion order, so re-inserting on a hit makes it an LRU. */
  private readonly entries = new Map<string, Entry>();
  private readonly byScope = new Map<string, ScopeKeys>();
  /**
   * Page program -> the keys of the kept answers that show it, so that a seat change looks at
   * those answers rather than every answer of its municipality: with tens of thousands kept, that
   * walk took the whole core during an enrollment surge (BENCHMARKS.md, issue #20).
   */
  private readonly showing = new Map<string, string[]>();
  private bytes = 0;
  /** Bumped on every change heard of, per municipality and overall: an answer computed across a bump is not kept. */
  private readonly epochs = new Map<string, number>();
  private epoch = 0;
  private everywhere = 0;
  /** Changes made in this process whose commit has not been heard of yet: token -> scope, seats changed (undefined: anything) and deadline. */
  private readonly pending = new Map<string, { scope: string; seats: SeatChange | undefined; until: number }>();
  /** The last seat changes heard of, oldest first, numbered by `seatChanges`. */
  private readonly seatLog: { seq: number; scope: string; change: SeatChange }[] = [];
  private seatChanges = 0;
  private readonly tokenPrefix = randomUUID().slice(0, 8);
  private tokens = 0;
  /** One computation per key at a time: concurrent misses of one answer share it. */
  private readonly inflight = new Map<string, Promise<Buffer>>();
  /** Requests as they came (before validation) -> the key of the answer they got. */
  private readonly seen = new Map<string, { scope: string; key: string }>();
  private seenBytes = 0;
  private readonly maxSeenBytes: number;
  private pool: Pool | undefined;
  private disconnect: (() => void) | undefined;
  private listening = false;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  private readonly listeners: SearchChangeListener[] = [];

  constructor(options: SearchCacheOptions = {}) {
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.maxSeenBytes = Math.floor(this.maxBytes / 8);
    this.pendingMs = options.pendingMs ?? 10_000;
    this.reconnectMs = options.reconnectMs ?? 1_000;
    this.logger = options.logger;
    this.outcomes = options.metrics
      ? counter(options.metrics, { name: "catalogue_search_cache_total", help: "Navigator searches by how the answer cache served them", labelNames: ["outcome"] as const })
      : undefined;
    if (options.metrics) {
      const held: Gauge = gauge(options.metrics, {
        name: "catalogue_search_cache_bytes",
        help: "Bytes the navigator's answer cache holds (answers, their keys and the requests remembered)",
        collect: () => held.set(this.held()),
      });
    }
  }

  /**
   * What the cache holds now, counted afresh from its maps (not from the running totals the
   * bound is kept by, `held`): the answers, their keys, the page programs' lists of them and the
   * requests remembered.
   */
  footprint(): number {
    let bytes = 0;
    // Each answer without its lists' share, counted from the lists themselves below.
    for (const [key, entry] of this.entries) bytes += entrySize(key, entry.body, entry.seats, 0);
    for (const keys of this.showing.values()) bytes += keys.length * SHOWING_REF;
    for (const [request, seen] of this.seen) bytes += stringBytes(request) + stringBytes(seen.key) + ENTRY_OVERHEAD;
    return bytes;
  }

  /** The running totals the bound is kept by (and `catalogue_search_cache_bytes` reports): `footprint` when they are right. */
  held(): number {
    return this.bytes + this.seenBytes;
  }

  /**
   * The answer for `key` within `municipalityId` (undefined: a search over every municipality):
   * from memory when it is fresh by the rule above, otherwise computed, and kept when no
   * change was heard of while computing it.
   */
  async answer(municipalityId: string | undefined, key: string, compute: () => Promise<Computed>, { counted = true }: { counted?: boolean } = {}): Promise<Buffer> {
    const scope = municipalityId ?? EVERYWHERE;
    // A part of an answer (its facet counts) is kept by the same rule but not counted: the
    // outcomes tell how whole answers were served.
    const count = counted ? (outcome: SearchCacheOutcome) => this.count(outcome) : () => undefined;
    if (!this.listening) {
      count("bypass");
      return (await compute()).body;
    }
    const fullKey = `${scope}\u0000${key}`;
    const entry = this.entries.get(fullKey);
    if (entry) {
      if (this.pendingAlters(scope, entry.seats)) {
        // A change of ours committed or about to: this answer may be older than it.
        count("bypass");
        return (await compute()).body;
      }
      this.entries.delete(fullKey);
      this.entries.set(fullKey, entry);
      count("hit");
      return entry.body;
    }
    const epoch = this.epochOf(scope);
    const seq = this.seatChanges;
    // A computation started before the last change heard of is not joined, nor one that may
    // have started before a change of ours committed.
    const flightKey = `${fullKey}\u0000${epoch}\u0000${seq}`;
    const running = this.pendingAlters(scope, undefined) ? undefined : this.inflight.get(flightKey);
    if (running) {
      count("shared");
      return running;
    }
    count("miss");
    const computing = compute()
      .then(({ body, seats }) => {
        const kept = keptSeats(seats);
        if (this.listening && this.epochOf(scope) === epoch && !this.seatsChangedSince(scope, seq, kept) && !this.pendingAlters(scope, kept)) this.store(fullKey, scope, body, kept);
        return body;
      })
      .finally(() => this.inflight.delete(flightKey));
    this.inflight.set(flightKey, computing);
    return computing;
  }

  /**
   * The answer last given to this exact request (URL and time bucket, as the caller builds
   * `request`), when it is still in memory and fresh by the same rule as `answer`: a request
   * seen before needs no parsing or validation to be answered again.
   */
  answerSeen(request: string): Buffer | undefined {
    const seen = this.seen.get(request);
    if (!seen || !this.listening) return undefined;
    const entry = this.entries.get(seen.key);
    if (!entry || this.pendingAlters(seen.scope, entry.seats)) return undefined;
    this.entries.delete(seen.key);
    this.entries.set(seen.key, entry);
    this.count("hit");
    return entry.body;
  }

  /** Remembers which answer `request` got (see `answerSeen`). */
  seenAs(request: string, municipalityId: string | undefined, key: string): void {
    const scope = municipalityId ?? EVERYWHERE;
    const fullKey = `${scope}\u0000${key}`;
    const size = stringBytes(request) + stringBytes(fullKey) + ENTRY_OVERHEAD;
    if (size > this.maxSeenBytes / 16) return;
    const old = this.seen.get(request);
    if (old) this.seenBytes -= stringBytes(request) + stringBytes(old.key) + ENTRY_OVERHEAD;
    // Cheap to rebuild: forgotten wholesale rather than kept in LRU order.
    if (this.seen.size >= MAX_SEEN || this.seenBytes + size > this.maxSeenBytes) {
      this.seen.clear();
      this.seenBytes = 0;
    }
    this.seen.set(request, { scope, key: fullKey });
    this.seenBytes += size;
  }

  /**
   * Call inside a transaction that changes what search shows in `municipalityId` (undefined:
   * anywhere), before it commits: until this process hears the commit, the municipality's
   * searches skip the cache, so a search made after the commit returns sees the change even
   * though the triggers' notification has not arrived yet. `seats`: the change only takes or
   * frees seats of these programs, with what flipped, so only the answers it alters skip the
   * cache meanwhile (the triggers' notifications then drop those).
   */
  async changing(tx: Queryable, municipalityId: string | undefined, seats?: SeatsChanging): Promise<void> {
    const scope = municipalityId ?? EVERYWHERE;
    const token = `${this.tokenPrefix}.${++this.tokens}`;
    const narrow = seats && seats.programs.length > 0 && scope !== EVERYWHERE ? seats : undefined;
    this.pending.set(token, { scope, seats: narrow && { programs: new Set(narrow.programs), program: narrow.program, slots: narrow.slots }, until: performance.now() + this.pendingMs });
    await tx.query("SELECT pg_notify($1, $2)", [SEARCH_CHANNEL, narrow ? `${scope} ${token} ${narrow.programs.join(",")}` : `${scope} ${token}`]);
  }

  /** `listener` hears of every change from now on (see `SearchChangeListener`). */
  subscribe(listener: SearchChangeListener): void {
    this.listeners.push(listener);
  }

  /** Whether the cache listens: an answer computed now is one the rule above lets it keep. */
  get isListening(): boolean {
    return this.listening;
  }

  /**
   * Whether a change this process is making in `municipalityId` (`changing()`), not heard back
   * yet, may alter an answer showing `seats`: a copy of search's data that has not heard it
   * either must not answer meanwhile.
   */
  changePending(municipalityId: string, seats: SeatView): boolean {
    return this.pendingAlters(municipalityId, keptSeats(seats));
  }

  /** Holds a connection of `pool` listening for changes; resolves once it listens (answers are cached from then on). */
  async listen(pool: Pool): Promise<void> {
    this.pool = pool;
    this.stopped = false;
    await this.connect();
  }

  stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    this.retry = undefined;
    this.disconnect?.();
    return Promise.resolve();
  }

  private async connect(): Promise<void> {
    const pool = this.pool;
    if (!pool || this.stopped) return;
    const client = await pool.connect();
    let released = false;
    const release = (err?: unknown) => {
      if (released) return false;
      released = true;
      // Destroyed rather than returned to the pool: the connection LISTENs, or is broken.
      client.release(err instanceof Error ? err : true);
      return true;
    };
    const fail = (err: unknown) => {
      if (release(err)) this.lost(err);
    };
    client.on("notification", (message: Notification) => {
      if (message.channel === SEARCH_CHANNEL) this.changed(message.payload ?? EVERYWHERE);
    });
    client.on("error", fail);
    client.on("end", () => fail(new Error("the LISTEN connection ended")));
    try {
      await client.query(`LISTEN ${SEARCH_CHANNEL}`);
    } catch (err) {
      fail(err);
      throw err;
    }
    if (this.stopped) {
      release();
      return;
    }
    this.disconnect = () => {
      this.forget();
      release();
    };
    // Nothing is kept while not listening, so there is nothing stale to drop; listening from
    // here on, every later commit is heard of.
    this.listening = true;
    for (const listener of this.listeners) listener.reset();
  }

  /** The LISTEN connection failed: changes may go unheard, so nothing cached is trusted until it is back. */
  private lost(err: unknown): void {
    this.forget();
    if (this.stopped) return;
    this.logger?.warn({ err }, "search cache: LISTEN connection lost; searching without the cache until it is back");
    if (this.retry) return;
    const again = () => {
      this.retry = undefined;
      this.connect().catch((error: unknown) => {
        this.logger?.warn({ err: error }, "search cache: LISTEN connection not restored; trying again");
        if (!this.stopped && !this.retry) this.retry = setTimeout(again, this.reconnectMs).unref();
      });
    };
    this.retry = setTimeout(again, this.reconnectMs).unref();
  }

  private forget(): void {
    this.listening = false;
    for (const listener of this.listeners) listener.reset();
    this.disconnect = undefined;
    this.clear();
  }

  private clear(): void {
    this.entries.clear();
    this.byScope.clear();
    this.showing.clear();
    this.bytes = 0;
    this.epoch++;
    this.everywhere++;
  }

  /**
   * A notification: `<municipality id>` from a trigger; from a trigger of a seat change (0008)
   * `<municipality id> - <program id>` (its count of free seats changed), `<municipality id> +
   * <program id>` (it gained its first free seat or lost its last) or `<municipality id> *
   * <program id> <weekday>.<start>.<end>` (that weekly slot's flag flipped); `<scope> <token>` or
   * `<scope> <token> <program ids>` (seats) from `changing()`. A seat change's own token says
   * counts only: the triggers of its transaction, heard of in the same breath, say the rest.
   */
  private changed(payload: string): void {
    const [scope = EVERYWHERE, second, programs, slot] = payload.split(" ");
    const fromTrigger = second === "-" || second === "+" || second === "*";
    if (second && !fromTrigger) this.pending.delete(second);
    if (programs && scope !== EVERYWHERE) {
      let slots: SeatChange["slots"] = [];
      if (second === "*") {
        const [weekday, start, end] = (slot ?? "").split(".").map(Number);
        // A slot that does not read as three numbers drops what any flip would.
        slots = Number.isInteger(weekday) && Number.isInteger(start) && Number.isInteger(end) ? [{ weekday: weekday!, start: start!, end: end! }] : "any";
      }
      const change = { programs: new Set(programs.split(",")), program: second === "+", slots };
      for (const listener of this.listeners) listener.changed(scope, change);
      this.seatsChanged(scope, change);
      return;
    }
    for (const listener of this.listeners) listener.changed(scope, undefined);
    if (scope === EVERYWHERE) {
      this.clear();
      return;
    }
    this.epoch++;
    this.epochs.set(scope, (this.epochs.get(scope) ?? 0) + 1);
    this.drop(scope);
    this.drop(EVERYWHERE);
  }

  /**
   * Seats changed in `scope`: its answers (and those over every municipality) that `change`
   * alters go: those showing one of its programs (found through `showing`), and of those bound
   * to seats whatever they show, the ones `alters` says.
   */
  private seatsChanged(scope: string, change: SeatChange): void {
    this.seatLog.push({ seq: ++this.seatChanges, scope, change });
    if (this.seatLog.length > SEAT_LOG) this.seatLog.shift();
    const inScope = (entry: Entry) => entry.scope === scope || entry.scope === EVERYWHERE;
    for (const from of [scope, EVERYWHERE]) {
      for (const key of this.byScope.get(from)?.seatBound ?? []) {
        const entry = this.entries.get(key);
        if (entry && alters(entry.seats, change)) this.remove(key, entry);
      }
    }
    for (const program of change.programs) {
      // A copy: removing an answer takes its key out of the list.
      for (const key of [...(this.showing.get(program) ?? [])]) {
        const entry = this.entries.get(key);
        if (entry && inScope(entry)) this.remove(key, entry);
      }
    }
  }

  private show(key: string, programs: readonly string[]): void {
    for (const program of programs) {
      const keys = this.showing.get(program);
      if (keys) keys.push(key);
      else this.showing.set(program, [key]);
    }
  }

  /** The answer `key` no longer kept: out of its page programs' lists (each as long as the answers kept that show that program). */
  private unshow(key: string, seats: KeptSeats | undefined): void {
    if (!seats) return;
    for (const program of programsOf(seats)) {
      const keys = this.showing.get(program);
      const at = keys?.indexOf(key) ?? -1;
      if (!keys || at < 0) continue;
      keys[at] = keys[keys.length - 1]!;
      keys.pop();
      if (keys.length === 0) this.showing.delete(program);
    }
  }

  /** Whether a seat change heard of after the `since`-th one alters an answer of `scope` showing `seats`. */
  private seatsChangedSince(scope: string, since: number, seats: KeptSeats | undefined): boolean {
    // Older than the log holds: cannot tell, so assume it does.
    if (since < this.seatChanges - this.seatLog.length) return true;
    for (let i = this.seatLog.length - 1; i >= 0; i--) {
      const heard = this.seatLog[i]!;
      if (heard.seq <= since) break;
      if ((scope === EVERYWHERE || heard.scope === scope) && alters(seats, heard.change)) return true;
    }
    return false;
  }

  /** Answers over every municipality depend on every change; a municipality's on its own and on those of unknown place. */
  private epochOf(scope: string): string {
    return scope === EVERYWHERE ? `${this.epoch}` : `${this.epochs.get(scope) ?? 0}.${this.everywhere}`;
  }

  /** Whether a change of this process not heard back yet may alter an answer of `scope` showing `seats` (undefined: any answer). */
  private pendingAlters(scope: string, seats: KeptSeats | undefined): boolean {
    if (this.pending.size === 0) return false;
    const now = performance.now();
    let found = false;
    for (const [token, change] of this.pending) {
      if (change.until < now) this.pending.delete(token);
      else if ((scope === EVERYWHERE || change.scope === scope || change.scope === EVERYWHERE) && alters(seats, change.seats)) found = true;
    }
    return found;
  }

  private store(key: string, scope: string, body: Buffer, seats: KeptSeats | undefined): void {
    const programs = seats ? programsOf(seats) : [];
    const size = entrySize(key, body, seats, programs.length);
    if (size > this.maxBytes / 16) return;
    const old = this.entries.get(key);
    if (old) this.remove(key, old);
    this.entries.set(key, { scope, body, seats, size });
    let keys = this.byScope.get(scope);
    if (!keys) this.byScope.set(scope, (keys = { all: new Set(), seatBound: new Set() }));
    keys.all.add(key);
    // No seat view (undefined: it depends on everything) or a seat filter.
    if (seats?.filter !== null) keys.seatBound.add(key);
    this.show(key, programs);
    this.bytes += size;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.remove(oldest, entry);
    }
  }

  private drop(scope: string): void {
    const keys = this.byScope.get(scope);
    if (!keys) return;
    // Every answer of the scope goes: each program they showed has its list filtered once, not
    // searched once per answer that showed it.
    const shown = new Set<string>();
    for (const key of keys.all) {
      const entry = this.entries.get(key);
      if (entry) {
        if (entry.seats) for (const program of programsOf(entry.seats)) shown.add(program);
        this.entries.delete(key);
        this.bytes -= entry.size;
      }
    }
    for (const program of shown) {
      const still = this.showing.get(program)?.filter((key) => this.entries.has(key)) ?? [];
      if (still.length > 0) this.showing.set(program, still);
      else this.showing.delete(program);
    }
    this.byScope.delete(scope);
  }

  private remove(key: string, entry: Entry): void {
    this.unshow(key, entry.seats);
    this.entries.delete(key);
    const keys = this.byScope.get(entry.scope);
    keys?.all.delete(key);
    keys?.seatBound.delete(key);
    this.bytes -= entry.size;
  }

  private count(outcome: SearchCacheOutcome): void {
    this.outcomes?.inc({ outcome });
  }
}
