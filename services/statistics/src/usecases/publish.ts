import { StatisticsCellsChanged } from "@kruzhok/contracts";
import { emit } from "@kruzhok/messaging";
import type { PoolClient } from "@kruzhok/postgres";
import { addDays, formatLocalDate, localDateOf, parseLocalDate } from "@kruzhok/time";
import { cellKey, computeBlock, type BlockInput, type Cell, type Reach } from "../domain/cells";
import {
  daySums,
  deleteCells,
  foldSumChanges,
  groupsOf,
  hiddenDaysBefore,
  lastDayOf,
  municipalitiesOfRegion,
  notifyChanges,
  populationsOf,
  publishedBlock,
  publishedInBlock,
  publishedLastDay,
  waitTimes,
  writeCells,
  type BlockPlace,
  type PublishedCell,
} from "../store/cells";
import { asPublisher, placesOf, takePending } from "../store/facts";
import type { StatisticsDeps } from "../deps";

/** Where the aggregates changed: municipalities (from an instant on, or on a day or in a month) and regions whose membership changed. */
export class Dirty {
  /** Per municipality, the earliest stock change (from it on, every day and month changes) and the days and months of its other changes. */
  readonly municipalities = new Map<string, RegionChange>();
  readonly regions = new Map<string, RegionChange>();
  municipality(municipalityId: string, at: Date, reach: Reach): void {
    note(this.municipalities, municipalityId, at, reach);
  }
  region(regionCode: string, at: Date, reach: Reach = "stock"): void {
    note(this.regions, regionCode, at, reach);
  }
}

/** What changed in a region: from `stock` on, everything; at `points`, a day (and its month) or a month's own cells. */
interface RegionChange {
  stock?: Date;
  points: { reach: "day" | "month"; at: Date }[];
}

function note(changes: Map<string, RegionChange>, key: string, at: Date, reach: Reach): void {
  let change = changes.get(key);
  if (!change) changes.set(key, (change = { points: [] }));
  if (reach !== "stock") change.points.push({ reach, at });
  else if (!change.stock || at < change.stock) change.stock = at;
}

const monthOf = (day: string) => `${day.slice(0, 7)}-01`;
function nextMonth(month: string): string {
  const [y, m] = [Number(month.slice(0, 4)), Number(month.slice(5, 7))];
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, "0")}-01`;
}
function monthEnd(month: string): string {
  const [y, m] = [Number(month.slice(0, 4)), Number(month.slice(5, 7))];
  return `${month.slice(0, 8)}${String(new Date(Date.UTC(y, m, 0)).getUTCDate()).padStart(2, "0")}`;
}

/**
 * What a block's cells are computed from, as of `lastDay` (at most the month's end), read from
 * the facts in `tx`; null when the region had no municipality then. With `changedOn` (the first
 * local day a round's changes reach), the days before it are taken as published (domain/cells.ts
 * BlockInput.from), unless the block was not published that far or with these municipalities.
 */
async function blockInput(deps: Pick<StatisticsDeps, "minCell">, tx: PoolClient, regionCode: string, month: string, lastDay: string, changedOn?: string): Promise<BlockInput | null> {
  const last = lastDay > monthEnd(month) ? monthEnd(month) : lastDay;
  const places = await municipalitiesOfRegion(tx, regionCode, last);
  if (places.length === 0) return null;
  let from: BlockInput["from"];
  if (changedOn !== undefined && changedOn > month && regionCode !== "") {
    const published = await publishedBlock(tx, regionCode, month);
    const same = published.municipalityIds.size === places.length && places.every((p) => published.municipalityIds.has(p.id));
    if (same && published.lastDay !== null) {
      const afterPublished = formatLocalDate(addDays(parseLocalDate(published.lastDay), 1));
      // At most the block's last day: a month's own figures change "on" the month's end, and the
      // days before the first decided one are what `hidden` must name, no more.
      const earliest = changedOn < afterPublished ? changedOn : afterPublished;
      const day = earliest > last ? last : earliest;
      if (day > month) from = { day, hidden: await hiddenDaysBefore(tx, regionCode, month, day) };
    }
  }
  const sums = await daySums(tx, places, month, last);
  const { population, budget } = await populationsOf(tx, places.map((p) => p.id), Number(month.slice(0, 4)));
  const groupIds = [...new Set(sums.map((s) => s.groupId).filter((id): id is string => id !== null))];
  return {
    regionCode,
    month,
    lastDay: last,
    municipalities: places,
    population,
    budget,
    groups: await groupsOf(tx, groupIds),
    sums,
    waits: await waitTimes(tx, places, month, last),
    minCell: deps.minCell,
    withRegion: regionCode !== "",
    ...(from && { from }),
  };
}

/** A block's computation started (on the block thread when there is one), its outcome kept so that a failure waits for whoever reads it. */
function startBlock(deps: Pick<StatisticsDeps, "computeBlock">, input: BlockInput | null): Promise<{ cells: Cell[] } | { error: unknown }> {
  if (!input) return Promise.resolve({ cells: [] });
  const cells = deps.computeBlock ? deps.computeBlock(input) : Promise.resolve().then(() => computeBlock(input));
  return cells.then(
    (computed) => ({ cells: computed }),
    (error: unknown) => ({ error }),
  );
}

async function finished(started: Promise<{ cells: Cell[] } | { error: unknown }>): Promise<Cell[]> {
  const outcome = await started;
  if ("error" in outcome) throw outcome.error;
  return outcome.cells;
}

/** A block's cells as of `lastDay` (at most the month's end), computed from the facts in `tx`. */
export async function blockCells(deps: Pick<StatisticsDeps, "minCell" | "computeBlock">, tx: PoolClient, regionCode: string, month: string, lastDay: string): Promise<Cell[]> {
  return finished(startBlock(deps, await blockInput(deps, tx, regionCode, month, lastDay)));
}

/**
 * One round of the publisher: take the changes noted since the last round and publish their
 * blocks, from one snapshot of the facts (store/facts.ts asPublisher). A consumer's facts and
 * its note commit together, so a change the snapshot misses is still noted for the next round.
 * Returns the number of cells whose published value changed.
 */
export async function publishPending(deps: StatisticsDeps): Promise<number> {
  return (await publishRound(deps)).changed;
}

/** A round (publishPending), and the instant of the newest source event it published (null: nothing pending). */
async function publishRound(deps: StatisticsDeps): Promise<{ changed: number; newestSource: Date | null }> {
  return asPublisher(deps.pool, async (tx) => {
    const dirty = new Dirty();
    const changes = await takePending(tx);
    for (const change of changes) {
      if (change.municipalityId) dirty.municipality(change.municipalityId, change.since, change.reach);
      else if (change.regionCode !== null) dirty.region(change.regionCode, change.since, change.reach);
    }
    if (changes.length === 0) return { changed: 0, newestSource: null };
    await foldSumChanges(tx);
    let [from, to] = [Infinity, -Infinity];
    for (const change of changes) [from, to] = [Math.min(from, change.sourceAt.getTime()), Math.max(to, change.sourceAt.getTime())];
    const sources = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
    return { changed: await republish(deps, tx, dirty, sources), newestSource: new Date(to) };
  });
}

/**
 * The publisher as a periodic job runs it: a round, unless the last one ended less than
 * `yieldFactor` times its own length ago. A round's reads and writes share the process and the
 * database with the consumers; a region whose blocks take long is then published less often
 * rather than starving the consumers that bring its changes (the lag grows with the work, the
 * consumption does not stall). Half its length since the blocks are computed on a thread of their
 * own (main.ts): twice its length, as when they were computed on the consumers' thread, left
 * p50 2.5 s of lag; half, 1.2-1.5 s, the consumers keeping up in both (BENCHMARKS.md, issue #16).
 * While the consumers replay history (even the newest event a round published is older than
 * `catchingUpAfterMs`: a rebuild, or a backlog after an outage), nobody waits on a round's
 * freshness and the consumers come first: the publisher waits `catchingUpFactor` times its round
 * (a 2,000,000-event rebuild: 6,584 events/s waiting half, 7,602 waiting twice; BENCHMARKS.md).
 */
export function publisher(deps: StatisticsDeps, yieldFactor = 0.5, catchingUpFactor = 2, catchingUpAfterMs = 30_000): () => Promise<number> {
  let nextAt = 0;
  return async () => {
    if (Date.now() < nextAt) return 0;
    const began = Date.now();
    let factor = yieldFactor;
    try {
      const { changed, newestSource } = await publishRound(deps);
      if (newestSource && deps.clock().getTime() - newestSource.getTime() > catchingUpAfterMs) factor = catchingUpFactor;
      return changed;
    } finally {
      nextAt = Date.now() + factor * (Date.now() - began);
    }
  };
}

interface RegionPlan {
  regionCode: string;
  members: BlockPlace[];
  /** Each block from the month of the change to the region's last day with events, being computed, from its first day decided. */
  blocks: { month: string; from: string; started: Promise<{ cells: Cell[] } | { error: unknown }> }[];
}

/**
 * A region's blocks that its changes reach, each from the first day they reach (in its members'
 * zones), up to the region's last day with events: their inputs read, their computation
 * started, not awaited.
 */
async function planRegion(deps: StatisticsDeps, tx: PoolClient, regionCode: string, change: RegionChange): Promise<RegionPlan> {
  const members = await municipalitiesOfRegion(tx, regionCode);
  const lastDay = await lastDayOf(tx, members);
  const plan: RegionPlan = { regionCode, members, blocks: [] };
  if (!lastDay) return plan;
  // The earliest local day any member's zone puts an instant on.
  const zones = members.length > 0 ? members.map((m) => m.timeZone) : ["UTC"];
  const localDay = (at: Date) => zones.map((zone) => formatLocalDate(localDateOf(at, zone))).sort()[0]!;
  const stockDay = change.stock && localDay(change.stock);
  const points = change.points.map((p) => ({ reach: p.reach, day: localDay(p.at) }));
  /** The first day of month `m` the changes reach: a stock's day (or the month's first, for a later month), a flow's day, the last day for a month's own figures. */
  const changedIn = (m: string): string | undefined => {
    const days: string[] = [];
    if (stockDay) {
      if (monthOf(stockDay) === m) days.push(stockDay);
      else if (monthOf(stockDay) < m) days.push(m);
    }
    for (const p of points) if (monthOf(p.day) === m) days.push(p.reach === "month" ? monthEnd(m) : p.day);
    return days.sort()[0];
  };
  let month = monthOf([...(stockDay ? [stockDay] : []), ...points.map((p) => p.day)].sort()[0]!);
  // The month last published up to an earlier day gets its remaining days (the region's
  // events moved on into a later month): a rebuild publishes them too.
  const published = await publishedLastDay(tx, regionCode);
  const continued = published && published < lastDay ? monthOf(published) : undefined;
  if (continued && continued < month) month = continued;
  for (; month <= monthOf(lastDay); month = nextMonth(month)) {
    const changedOn = changedIn(month) ?? (month === continued ? monthEnd(month) : undefined);
    if (changedOn === undefined) continue;
    const input = await blockInput(deps, tx, regionCode, month, lastDay, changedOn);
    plan.blocks.push({ month, from: input?.from?.day ?? month, started: startBlock(deps, input) });
  }
  return plan;
}

/**
 * A planned region's cells whose published value changes, and the published cells of its
 * blocks no longer computed there (a municipality placed in its region).
 */
async function regionChanges(tx: PoolClient, plan: RegionPlan): Promise<{ changed: PublishedCell[]; removed: string[] }> {
  const changed: PublishedCell[] = [];
  const removed: string[] = [];
  for (const { month, from, started } of plan.blocks) {
    const cells = await finished(started);
    const before = await publishedInBlock(tx, plan.regionCode, plan.members.map((m) => m.id), month, from);
    for (const cell of cells) {
      const key = cellKey(cell);
      const old = before.get(key);
      before.delete(key);
      if (old?.value === cell.value && old.suppressed === cell.suppressed && old.regionCode === cell.regionCode) continue;
      changed.push({ ...cell, key });
    }
    for (const [key, old] of before) if (old.regionCode === plan.regionCode) removed.push(key);
  }
  return { changed, removed };
}

/**
 * Recompute every block the change reaches (each dirty region, from the month of the earliest
 * change to the region's last day with events), write the cells whose published value changed,
 * and announce them: on the statistics topic (outbox, same transaction) and to the live streams
 * of every process (NOTIFY, delivered on COMMIT).
 */
async function republish(deps: StatisticsDeps, tx: PoolClient, dirty: Dirty, sources: { from: string; to: string }): Promise<number> {
  const regions = new Map<string, RegionChange>([...dirty.regions].map(([code, change]) => [code, { ...change, points: [...change.points] }]));
  const places = await placesOf(tx, [...dirty.municipalities.keys()]);
  for (const [municipalityId, change] of dirty.municipalities) {
    const regionCode = places.get(municipalityId)?.regionCode ?? "";
    if (change.stock) note(regions, regionCode, change.stock, "stock");
    for (const point of change.points) note(regions, regionCode, point.at, point.reach);
  }
  // Every block's input read first, one statement after another on the round's connection, and
  // each handed to the block thread as soon as read: the reads of one block overlap the
  // computing of the others. Then, in order, the region not known yet first (its
  // municipalities' cells move to their region's block after), compared and written.
  const plans: RegionPlan[] = [];
  for (const regionCode of [...regions.keys()].sort()) plans.push(await planRegion(deps, tx, regionCode, regions.get(regionCode)!));
  let changedCount = 0;
  for (const plan of plans) {
    const { regionCode, members } = plan;
    const { changed, removed } = await regionChanges(tx, plan);
    await deleteCells(tx, removed);
    await writeCells(tx, changed);
    changedCount += changed.length;
    if (regionCode === "" || changed.length === 0) continue;
    for (let i = 0; i < changed.length; i += 500) {
      const cells = changed.slice(i, i + 500).map(({ key: _key, ...cell }) => cell);
      // The envelope names one municipality: the region's first (the cells name their own).
      await emit(tx, StatisticsCellsChanged, { municipalityId: members[0]!.id, aggregateId: `region:${regionCode}` }, { regionCode, cells, sources }, deps.clock());
    }
  }
  if (changedCount > 0) await notifyChanges(tx);
  return changedCount;
}
