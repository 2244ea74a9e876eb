import { StatisticsCellsChanged } from "@kruzhok/contracts";
import { emit } from "@kruzhok/messaging";
import type { PoolClient } from "@kruzhok/postgres";
import { formatLocalDate, localDateOf } from "@kruzhok/time";
import { cellKey, computeBlock, type Cell } from "../domain/cells";
import {
  daySums,
  deleteCells,
  groupsOf,
  lastDayOf,
  municipalitiesOfRegion,
  notifyChanges,
  populationsOf,
  publishedInBlock,
  publishedLastDay,
  waitSamples,
  writeCells,
  type PublishedCell,
} from "../store/cells";
import { asPublisher, placesOf, takePending } from "../store/facts";
import type { StatisticsDeps } from "../deps";

/** Where the aggregates changed: municipalities from an instant on, and regions whose membership changed. */
export class Dirty {
  readonly since = new Map<string, Date>();
  readonly regions = new Map<string, Date>();
  municipality(municipalityId: string, at: Date): void {
    const known = this.since.get(municipalityId);
    if (!known || at < known) this.since.set(municipalityId, at);
  }
  region(regionCode: string, at: Date): void {
    const known = this.regions.get(regionCode);
    if (!known || at < known) this.regions.set(regionCode, at);
  }
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

/** A block's cells as of `lastDay` (at most the month's end), computed from the facts in `tx`. */
export async function blockCells(deps: Pick<StatisticsDeps, "minCell">, tx: PoolClient, regionCode: string, month: string, lastDay: string): Promise<Cell[]> {
  const last = lastDay > monthEnd(month) ? monthEnd(month) : lastDay;
  const places = await municipalitiesOfRegion(tx, regionCode, last);
  if (places.length === 0) return [];
  const sums = await daySums(tx, places, month, last);
  const groupIds = [...new Set(sums.map((s) => s.groupId).filter((id): id is string => id !== null))];
  return computeBlock({
    regionCode,
    month,
    lastDay: last,
    municipalities: places,
    population: await populationsOf(tx, places.map((p) => p.id), Number(month.slice(0, 4))),
    groups: await groupsOf(tx, groupIds),
    sums,
    samples: await waitSamples(tx, places, month, last),
    minCell: deps.minCell,
    withRegion: regionCode !== "",
  });
}

/**
 * One round of the publisher: take the changes noted since the last round and publish their
 * blocks, from one snapshot of the facts (store/facts.ts asPublisher). A consumer's facts and
 * its note commit together, so a change the snapshot misses is still noted for the next round.
 * Returns the number of cells whose published value changed.
 */
export async function publishPending(deps: StatisticsDeps): Promise<number> {
  return asPublisher(deps.pool, async (tx) => {
    const dirty = new Dirty();
    const changes = await takePending(tx);
    for (const change of changes) {
      if (change.municipalityId) dirty.municipality(change.municipalityId, change.since);
      else if (change.regionCode !== null) dirty.region(change.regionCode, change.since);
    }
    if (changes.length === 0) return 0;
    let [from, to] = [Infinity, -Infinity];
    for (const change of changes) [from, to] = [Math.min(from, change.sourceAt.getTime()), Math.max(to, change.sourceAt.getTime())];
    const sources = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
    return republish(deps, tx, dirty, sources);
  });
}

/**
 * The publisher as a periodic job runs it: a round, unless the last one ended less than
 * `yieldFactor` times its own length ago. A round's CPU is taken from the consumers of the same
 * process; a region whose blocks take long to compute is then published less often rather than
 * starving the consumers that bring its changes (the lag grows with the work, the consumption does
 * not stall).
 */
export function publisher(deps: StatisticsDeps, yieldFactor = 2): () => Promise<number> {
  let nextAt = 0;
  return async () => {
    if (Date.now() < nextAt) return 0;
    const began = Date.now();
    try {
      return await publishPending(deps);
    } finally {
      nextAt = Date.now() + yieldFactor * (Date.now() - began);
    }
  };
}

/**
 * Recompute every block the change reaches (each dirty region, from the month of the earliest
 * change to the region's last day with events), write the cells whose published value changed,
 * and announce them: on the statistics topic (outbox, same transaction) and to the live streams
 * of every process (NOTIFY, delivered on COMMIT).
 */
async function republish(deps: StatisticsDeps, tx: PoolClient, dirty: Dirty, sources: { from: string; to: string }): Promise<number> {
  const regions = new Map(dirty.regions);
  const places = await placesOf(tx, [...dirty.since.keys()]);
  for (const [municipalityId, at] of dirty.since) {
    const place = places.get(municipalityId);
    const regionCode = place?.regionCode ?? "";
    const known = regions.get(regionCode);
    if (!(known && known <= at)) regions.set(regionCode, at);
  }
  let changedCount = 0;
  // The region not known yet first: its municipalities' cells move to their region's block after.
  for (const regionCode of [...regions.keys()].sort()) {
    const since = regions.get(regionCode)!;
    const members = await municipalitiesOfRegion(tx, regionCode);
    const lastDay = await lastDayOf(tx, members);
    const changed: PublishedCell[] = [];
    const removed: string[] = [];
    if (lastDay) {
      // The earliest month any member's zone puts the change in.
      const zones = members.length > 0 ? members.map((m) => m.timeZone) : ["UTC"];
      let month = zones.map((zone) => monthOf(formatLocalDate(localDateOf(since, zone)))).sort()[0]!;
      // The month last published up to an earlier day gets its remaining days (the region's
      // events moved on into a later month): a rebuild publishes them too.
      const published = await publishedLastDay(tx, regionCode);
      if (published && published < lastDay && monthOf(published) < month) month = monthOf(published);
      for (; month <= monthOf(lastDay); month = nextMonth(month)) {
        const cells = await blockCells(deps, tx, regionCode, month, lastDay);
        const before = await publishedInBlock(tx, regionCode, members.map((m) => m.id), month);
        for (const cell of cells) {
          const key = cellKey(cell);
          const old = before.get(key);
          before.delete(key);
          if (old?.value === cell.value && old.suppressed === cell.suppressed && old.regionCode === cell.regionCode) continue;
          changed.push({ ...cell, key });
        }
        // Cells of this block no longer computed here (a municipality placed in its region).
        for (const [key, old] of before) if (old.regionCode === regionCode) removed.push(key);
      }
    }
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
