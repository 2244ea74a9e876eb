import type { Pool } from "@kruzhok/postgres";
import type { Siblings } from "@kruzhok/service";
import { instantAt, localDateOf } from "@kruzhok/time";
import { DEFAULT_SMALL_CELL_THRESHOLD, explainPosition, queueMember, type PositionView } from "../domain/queue";
import { positionInPostgres, type ApplicationRow } from "../store/applications";
import { findGroup, findRules } from "../store/projections";
import { isDirty, syncGroup, type QueueIndex } from "../store/queue-index";
import type { KnownGuardianships } from "./access";
import { Reloaded, Serial } from "./reloaded";

export type Position = PositionView & { applicationId: string; groupId: string; source: "redis" | "postgres" };

type Log = { warn(o: object, m: string): void; debug(o: object, m: string): void };

/**
 * What a position lookup needs of an application besides Redis. None of it changes for an
 * application except the category rank, and the member (which carries the rank) is checked
 * against Redis on every lookup: a re-ranked or departed application is no longer there, and
 * the lookup goes to Postgres and learns the application again.
 */
export interface RankedApplication {
  id: string;
  municipalityId: string;
  groupId: string;
  childId: string;
  providerId: string;
  categoryCode: string | null;
  categoryRank: number;
  member: string;
}

const rankedOf = (a: ApplicationRow): RankedApplication => ({
  id: a.id,
  municipalityId: a.municipalityId,
  groupId: a.groupId,
  childId: a.childId,
  providerId: a.providerId,
  categoryCode: a.categoryCode,
  categoryRank: a.categoryRank,
  member: queueMember({ categoryRank: a.categoryRank, acceptedAtMicros: a.acceptedAtMicros, applicationId: a.id }),
});

/** A Map that forgets its oldest entries beyond `max` (insertion order; enough for a cache of facts that change seldom, and are deleted when they do). */
class Bounded<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(key: K): V | undefined {
    return this.map.get(key);
  }
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
  delete(key: K): void {
    this.map.delete(key);
  }
}

export interface PositionLookupOptions {
  /** The other workers of the service (WORKERS > 1): told what this one learns and forgets. */
  siblings?: Siblings | undefined;
  /** Applications (and children's guardians) remembered per process. */
  maxEntries?: number;
  /** How long a municipality's category order and a group's zone are trusted (they only word the explanation and pick its year); after it they are answered while one reload runs (`Reloaded`). */
  referenceTtlMs?: number;
  /**
   * How long after a child's guardianships changed nothing learnt of them is remembered: a
   * check made in Postgres before the change, or a sibling's message sent before it, may arrive
   * after the change was forgotten. Far longer than a query or a message between workers takes.
   */
  changedGuardiansMs?: number;
  /** Per-category counts below this are withheld from the answer (`explainPosition`). */
  smallCellThreshold?: number;
  /**
   * How long a group's counts are kept even when no change of it was heard: a bound on what a
   * change lost on its way (a message dropped without the subscriber noticing) can cost.
   */
  countsTtlMs?: number;
}

/** A queue's counts for one member, as the position script answers them. */
type QueueCounts = { rank: number; total: number; byRank: Map<number, number> };

/** One group's remembered counts, and how many changes of it this process has heard. */
interface GroupCounts {
  version: number;
  members: Map<string, KeptCounts>;
}

/** A member's kept counts, and the answer last drawn from them (the same object while nothing it depends on changed). */
interface KeptCounts {
  counts: QueueCounts;
  until: number;
  view?: { order: readonly string[]; position: Position };
}

/** What a worker tells its siblings of an application it accepted. */
interface Learnt {
  application: RankedApplication;
  guardianId: string | undefined;
}

/** Sibling topics: an accepted application (and its guardian); a child whose guardianships changed. */
const LEARNT = "enrollment.position-facts";
const GUARDIANS_CHANGED = "enrollment.guardians-changed";

/**
 * Positions from the Redis index with no Postgres query on the common path: the application's
 * facts, the guardianships already checked and the municipalities' category orders are kept in
 * process, and Redis answers rank and counts in one command (`QueueIndex.position`). Postgres,
 * the truth, answers whenever the process does not know the application, the set was lost, or
 * the member is not in it (re-ranked, left the queue, not yet copied).
 *
 * One per process, shared by the routes and the consumers: a guardianship that ends (the
 * registry announces a child's guardians anew) is forgotten here and by the sibling workers
 * once its change commits, so a former guardian is checked in Postgres again.
 *
 * Freshness: a submission adds its member before it answers, and the HTTP routes that change a
 * queue copy it before they answer, so a family reads its own writes. A change made by a
 * consumer (a re-rank, a seat offered after a capacity change) shows once the syncer copies the
 * group, within QUEUE_SYNC_INTERVAL_MS; until then the lookup answers the position before it.
 */
export class PositionLookups implements KnownGuardianships {
  private readonly applications: Bounded<string, RankedApplication>;
  /** Per child, the guardians found in child_guardians; forgotten when the child's guardianships change. */
  private readonly guardianships: Bounded<string, Set<string>>;
  /** Children whose guardianships changed lately, with the instant (Date.now) until which nothing is learnt of them. */
  private readonly changedGuardians = new Map<string, number>();
  private readonly changedGuardiansMs: number;
  private readonly siblings: Siblings | undefined;
  /** Per municipality and local year, its category order. */
  private readonly orders: Reloaded<string, readonly string[]>;
  /** Per group, its municipality's time zone. */
  private readonly zones: Reloaded<string, string>;
  /** A zone's current local year and the instants it starts and ends (Intl costs more than the rest of a lookup). */
  private readonly years = new Map<string, { year: number; from: number; to: number }>();
  private readonly smallCellThreshold: number;
  /**
   * The position script's answers per group and member, kept until the group's queue changes.
   * Only while this process hears every change (`hearingChanges`): each change of a queue in
   * Redis is published on the index's channel (PositionWatch's subscriber tells `queueChanged`),
   * and a change made in this process is told at once (`QueueIndex.onChange`), so a family reads
   * its own writes. While the subscriber is down nothing is kept, and what was kept is dropped.
   * After opening day's first hour a queue changes seldom and a family asks again and again:
   * its lookup then needs no Redis at all. Redis loses its sets only by restarting (it keeps
   * nothing on disk), which closes the subscriber's connection; keys deleted by hand without a
   * restart are noticed at the group's next change or after `countsTtlMs`, and the checker
   * (QUEUE_CHECK_INTERVAL_MS) copies them again.
   */
  private readonly counted = new Map<string, GroupCounts>();
  private countedEntries = 0;
  private hearing = false;
  private readonly countsTtlMs: number;
  private readonly maxCounted: number;
  /** Lookups answered from the kept counts, and those that asked Redis (tests read them). */
  readonly countHits = { kept: 0, asked: 0 };

  constructor(
    private readonly pool: Pool,
    private readonly index: QueueIndex,
    options: PositionLookupOptions = {},
  ) {
    this.applications = new Bounded(options.maxEntries ?? 200_000);
    this.guardianships = new Bounded(options.maxEntries ?? 200_000);
    const ttlMs = options.referenceTtlMs ?? 30_000;
    const reloads = new Serial();
    this.zones = new Reloaded(ttlMs, async (groupId) => (await findGroup(pool, groupId))?.timeZone, reloads);
    this.orders = new Reloaded(
      ttlMs,
      async (key) => {
        const [municipalityId, year] = key.split("|") as [string, string];
        return (await findRules(pool, municipalityId, Number(year)))?.rules?.categories ?? [];
      },
      reloads,
    );
    this.changedGuardiansMs = options.changedGuardiansMs ?? 60_000;
    this.siblings = options.siblings;
    this.smallCellThreshold = options.smallCellThreshold ?? DEFAULT_SMALL_CELL_THRESHOLD;
    this.countsTtlMs = options.countsTtlMs ?? 60_000;
    this.maxCounted = options.maxEntries ?? 200_000;
    index.onChange((groupId) => this.queueChanged(groupId));
    // What one worker accepted, the others learn: a family's next lookup may reach any of them.
    this.siblings?.on(LEARNT, (message) => {
      const { application, guardianId } = message as Learnt;
      this.applications.set(application.id, application);
      if (guardianId) this.rememberGuardian(guardianId, application.childId);
    });
    this.siblings?.on(GUARDIANS_CHANGED, (message) => this.forgetGuardiansHere((message as { childId: string }).childId));
  }

  /**
   * Learn an application that committed in this process (a submission), with the guardian who
   * submitted it (checked in Postgres under the child's lock), and tell the sibling workers.
   */
  learnSubmitted(a: ApplicationRow, guardianId: string | undefined): void {
    const application = rankedOf(a);
    this.applications.set(a.id, application);
    if (guardianId) this.rememberGuardian(guardianId, a.childId);
    this.siblings?.tell(LEARNT, { application, guardianId } satisfies Learnt);
  }

  known(applicationId: string): RankedApplication | undefined {
    return this.applications.get(applicationId);
  }

  forget(applicationId: string): void {
    this.applications.delete(applicationId);
  }

  /** A guardianship found in Postgres; not remembered while the child's guardianships have just changed. */
  rememberGuardian(guardianId: string, childId: string): void {
    const changedUntil = this.changedGuardians.get(childId);
    if (changedUntil !== undefined) {
      if (changedUntil > Date.now()) return;
      this.changedGuardians.delete(childId);
    }
    const known = this.guardianships.get(childId);
    if (known) known.add(guardianId);
    else this.guardianships.set(childId, new Set([guardianId]));
  }

  isKnownGuardian(guardianId: string, childId: string): boolean {
    return this.guardianships.get(childId)?.has(guardianId) === true;
  }

  /** The child's guardianships changed (and committed): forget them here and in the sibling workers. */
  forgetGuardiansOf(childId: string): void {
    this.forgetGuardiansHere(childId);
    this.siblings?.tell(GUARDIANS_CHANGED, { childId });
  }

  private forgetGuardiansHere(childId: string): void {
    this.guardianships.delete(childId);
    const now = Date.now();
    // Rare (a change of a child's guardians): expired marks are dropped as new ones come.
    for (const [child, until] of this.changedGuardians) if (until <= now) this.changedGuardians.delete(child);
    this.changedGuardians.set(childId, now + this.changedGuardiansMs);
  }

  /** Whether every change of a queue is heard now (PositionWatch's subscriber is connected and subscribed). */
  hearingChanges(hearing: boolean): void {
    if (this.hearing === hearing) return;
    this.hearing = hearing;
    // Changes may have been missed while not hearing, or are missed from now on: nothing kept holds.
    this.counted.clear();
    this.countedEntries = 0;
  }

  /** A group's queue changed (published by whoever changed it, or changed by this process). */
  queueChanged(groupId: string): void {
    const group = this.counted.get(groupId);
    if (!group) return;
    group.version++;
    this.countedEntries -= group.members.size;
    group.members.clear();
  }

  /** The position script's answer for the member: kept from before when the group has not changed since. */
  private async countsOf(a: RankedApplication): Promise<QueueCounts | KeptCounts | "missing" | "incomplete"> {
    if (!this.hearing) return this.index.position(a.groupId, a.member, a.categoryRank);
    const kept = this.keptCountsOf(a);
    if (kept) {
      this.countHits.kept++;
      return kept;
    }
    let group = this.counted.get(a.groupId);
    if (!group) {
      group = { version: 0, members: new Map() };
      this.counted.set(a.groupId, group);
    }
    const at = Date.now();
    this.countHits.asked++;
    const version = group.version;
    const counts = await this.index.position(a.groupId, a.member, a.categoryRank);
    // A change heard while the script was on its way may be newer than its answer: not kept.
    if (typeof counts !== "string" && this.hearing && group.version === version && this.counted.get(a.groupId) === group) {
      if (this.countedEntries >= this.maxCounted) {
        this.counted.clear();
        this.countedEntries = 0;
        this.counted.set(a.groupId, group);
        group.members.clear();
      }
      if (!group.members.has(a.member)) this.countedEntries++;
      const entry: KeptCounts = { counts, until: at + this.countsTtlMs };
      group.members.set(a.member, entry);
      return entry;
    }
    return counts;
  }

  /** The member's counts kept since its group last changed, while they may be trusted; undefined otherwise. */
  private keptCountsOf(a: RankedApplication): KeptCounts | undefined {
    if (!this.hearing) return undefined;
    const kept = this.counted.get(a.groupId)?.members.get(a.member);
    return kept && kept.until > Date.now() ? kept : undefined;
  }

  /** Whether `keptPosition` may answer without Redis (the order aside): the route asks Redis early only when not. */
  keepsCounts(a: RankedApplication): boolean {
    return this.keptCountsOf(a) !== undefined;
  }

  /**
   * The position from what this process holds alone, with no promise and no turn of the event
   * loop: the member's kept counts and the municipality's order, both fresh. Most of a family's
   * lookups after its first; undefined when anything must be asked (then `fromIndex`).
   */
  keptPosition(a: RankedApplication, now: Date): Position | undefined {
    const kept = this.keptCountsOf(a);
    if (!kept) return undefined;
    const order = this.freshOrder(a.municipalityId, a.groupId, now);
    if (!order) return undefined;
    this.countHits.kept++;
    return this.keptView(a, kept, order);
  }

  /** The position from Redis alone; undefined when Postgres must answer (see the class). */
  async fromIndex(a: RankedApplication, now: Date): Promise<Position | undefined> {
    const found = await this.countsOf(a);
    if (typeof found === "string") return undefined;
    // The order from memory without a further await when it is fresh (nearly always).
    const order = this.freshOrder(a.municipalityId, a.groupId, now) ?? (await this.orderOf(a.municipalityId, a.groupId, now));
    if (!order) return undefined;
    if (!("counts" in found)) return positionView(a, order, "redis", { ...found, ahead: found.rank }, this.smallCellThreshold);
    return this.keptView(a, found, order);
  }

  /**
   * The answer from kept counts: the one drawn from them before is the same object while the
   * order is the same one (the route writes a given answer once per language, views.ts).
   */
  private keptView(a: RankedApplication, found: KeptCounts, order: readonly string[]): Position {
    if (found.view?.order === order) return found.view.position;
    const position = positionView(a, order, "redis", { ...found.counts, ahead: found.counts.rank }, this.smallCellThreshold);
    found.view = { order, position };
    return position;
  }

  /**
   * The position of an application read from Postgres (the caller checked that it waits in the
   * queue): from Redis once the group is copied, else from Postgres. A group whose queue changed
   * and is not yet copied is copied first.
   */
  async fromTruth(a: ApplicationRow, now: Date, log: Log): Promise<Position> {
    const ranked = rankedOf(a);
    this.applications.set(a.id, ranked);
    const order = (await this.orderOf(a.municipalityId, a.groupId, now)) ?? [];
    try {
      if (await isDirty(this.pool, a.groupId)) await syncGroup(this.pool, this.index, a.groupId);
      let counts = await this.index.position(a.groupId, ranked.member, a.categoryRank);
      if (typeof counts === "string") {
        await syncGroup(this.pool, this.index, a.groupId);
        counts = await this.index.position(a.groupId, ranked.member, a.categoryRank);
      }
      if (typeof counts !== "string") return positionView(ranked, order, "redis", { ...counts, ahead: counts.rank }, this.smallCellThreshold);
    } catch (error) {
      log[this.index.told(error) ? "debug" : "warn"]({ err: error }, "queue index unavailable; answering the position from Postgres");
    }
    return positionView(a, order, "postgres", await positionInPostgres(this.pool, a), this.smallCellThreshold);
  }

  /** The municipality's category order of the group's local year (undefined: enrollment does not know the group). */
  private async orderOf(municipalityId: string, groupId: string, now: Date): Promise<readonly string[] | undefined> {
    const at = now.getTime();
    const zone = await this.zones.get(groupId, at);
    if (zone === undefined) return undefined;
    return this.orders.get(`${municipalityId}|${this.yearIn(zone, now)}`, at);
  }

  /** `orderOf` from what the process holds, when all of it is fresh; undefined otherwise. */
  private freshOrder(municipalityId: string, groupId: string, now: Date): readonly string[] | undefined {
    const at = now.getTime();
    const zone = this.zones.fresh(groupId, at);
    return zone === undefined ? undefined : this.orders.fresh(`${municipalityId}|${this.yearIn(zone, now)}`, at);
  }

  /** The local year in `zone` at `now`, from Intl only once per zone and year. */
  private yearIn(zone: string, now: Date): number {
    const at = now.getTime();
    const known = this.years.get(zone);
    if (known && at >= known.from && at < known.to) return known.year;
    const { year } = localDateOf(now, zone);
    const from = instantAt({ year, month: 1, day: 1 }, zone).getTime();
    const to = instantAt({ year: year + 1, month: 1, day: 1 }, zone).getTime();
    this.years.set(zone, { year, from, to });
    return year;
  }
}

/**
 * The answer from the queue's counts, whichever store gave them: `ahead` in the whole queue, and
 * per category rank the entries ahead (ranks above the child's) and in its own rank (all of them).
 */
function positionView(
  a: { id: string; groupId: string; categoryCode: string | null; categoryRank: number },
  order: readonly string[],
  source: Position["source"],
  counts: { ahead: number; total: number; byRank: ReadonlyMap<number, number> },
  threshold: number,
): Position {
  let higher = 0;
  for (const [r, n] of counts.byRank) if (r < a.categoryRank) higher += n;
  return {
    applicationId: a.id,
    groupId: a.groupId,
    source,
    ...explainPosition(order, { code: a.categoryCode, rank: a.categoryRank }, {
      position: counts.ahead + 1,
      total: counts.total,
      aheadByRank: counts.byRank,
      aheadInCategory: counts.ahead - higher,
      inCategory: counts.byRank.get(a.categoryRank) ?? 0,
    }, threshold),
  };
}
