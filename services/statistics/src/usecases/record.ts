import type { Cause } from "@kruzhok/messaging";
import type { PoolClient } from "@kruzhok/postgres";
import { ONE_PARTITION, contributionsOf, subjectTypeOf, type Contribution, type SubjectEvent, type SubjectEventKind, type SubjectType } from "../domain/subjects";
import { dimsKey, reachOf, type Reach } from "../domain/cells";
import {
  advancePositions,
  appendSumChanges,
  advancePositionsFromInbox,
  earliestIn,
  earliestThroughGroups,
  insertSubjectEvents,
  lockSubjects,
  markPending,
  preferIndexScans,
  replaceContributions,
  subjectEventsOf,
  upsertGroups,
  upsertMunicipalities,
  upsertPopulations,
  type PendingChange,
  type SumChange,
} from "../store/facts";
import type { StatisticsDeps } from "../deps";
import { pseudonym } from "./keys";

/** The event a fact comes from: its id, event time and municipality (the envelope's). */
export interface Source {
  id: string;
  occurredAt: string;
  municipalityId: string;
}

/** An event about a counted subject, with the ids still raw: they are hashed here and never stored. */
export interface SubjectFact {
  subject: { type: SubjectType; id: string };
  kind: SubjectEventKind;
  /** Codes, years, instants; `toMunicipalityId` and `groupId` are public. */
  attrs?: Record<string, string | number | null>;
  /** Ids to store as pseudonymous keys under these attribute names (`enrollmentKey`). */
  keyed?: Record<string, { type: SubjectType; id: string }>;
}

export type Fact =
  | { kind: "municipality"; regionCode: string; timeZone: string }
  | { kind: "population"; year: number; children: number; budget: number }
  | { kind: "group"; groupId: string; direction: string; fundingKind: string }
  | { kind: "subjects"; facts: readonly SubjectFact[] };

/** A consumed event's fact, and where the event was read (the batch knows; a single event's is in the inbox). */
export interface Recorded {
  source: Source;
  fact: Fact;
  position?: { topic: string; partition: number; offset: string };
}

/**
 * Where the aggregates changed: municipalities from an instant on, and regions whose membership
 * changed, each with the instants of the source events that changed it (how fresh a published
 * change is, `sources` of statistics.cells.changed).
 */
class Marks {
  private readonly marks = new Map<string, { municipalityId: string | null; regionCode: string | null; since: Date; reach: Reach; from: number; to: number }>();
  /**
   * A municipality from `since` on (a stock), or, for a flow or a month's figure, the day or
   * month of `since` only: one mark per municipality, reach and UTC day, so that the publisher
   * sees every day a flow changed, not only the first.
   */
  municipality(municipalityId: string, since: Date, sources: readonly Date[], reach: Reach = "stock"): void {
    const key = reach === "stock" ? `m:${municipalityId}` : `${reach}:${municipalityId}:${since.toISOString().slice(0, 10)}`;
    this.add(key, municipalityId, null, since, sources, reach);
  }
  region(regionCode: string, since: Date, sources: readonly Date[]): void {
    this.add(`r:${regionCode}`, null, regionCode, since, sources, "stock");
  }
  /** One row per mark with its oldest source, and one more with its newest when they differ. */
  rows(): PendingChange[] {
    return [...this.marks.values()].flatMap(({ from, to, ...mark }) => [
      { ...mark, sourceAt: new Date(from) },
      ...(to > from ? [{ ...mark, sourceAt: new Date(to) }] : []),
    ]);
  }
  private add(key: string, municipalityId: string | null, regionCode: string | null, since: Date, sources: readonly Date[], reach: Reach): void {
    const times = sources.map((at) => at.getTime());
    const known = this.marks.get(key);
    if (!known) {
      this.marks.set(key, { municipalityId, regionCode, since, reach, from: Math.min(...times), to: Math.max(...times) });
      return;
    }
    if (since < known.since) known.since = since;
    known.from = Math.min(known.from, ...times);
    known.to = Math.max(known.to, ...times);
  }
}

/** Apply one consumed event to the aggregates, in the consumer's transaction (see recordFacts). */
export async function recordFact(deps: StatisticsDeps, tx: PoolClient, source: Source, fact: Fact, _cause: Cause): Promise<void> {
  await recordFacts(deps, tx, [{ source, fact }]);
}

/**
 * Apply consumed events to the aggregates, in the consumer's transaction, with one statement per
 * kind of write whatever their number: the service's position in each topic partition advances,
 * the facts and the contributions they change are kept (one writer per subject at a time), and
 * where the cells change is noted for the publisher. One transaction, so the positions and the
 * aggregates never disagree; the published cells are a function of the contributions,
 * recomputed by `publishPending` once for all the events that reached a block since its last
 * round (usecases/publish.ts).
 *
 * Many events give what they give one by one: each fact is kept as of its latest event by event
 * time, and a subject's contributions are a function of the set of its events, so the order in
 * which events are applied, together or alone, changes nothing kept. The marks are the
 * difference between before and after these events, which is all the publisher has seen.
 */
export async function recordFacts(deps: StatisticsDeps, tx: PoolClient, recorded: readonly Recorded[]): Promise<void> {
  if (recorded.length === 0) return;
  // A single event's keys are few enough for the planner to choose the indexes by itself.
  if (recorded.length > 1) await preferIndexScans(tx);
  await advance(tx, recorded);
  const marks = new Marks();
  const atOf = (source: Source) => new Date(source.occurredAt);

  // Municipalities, populations and groups: the latest event of each in this run, then kept if later than what is.
  const latest = <R extends { at: Date; eventId: string }>(rows: Map<string, R>, key: string, row: R) => {
    const known = rows.get(key);
    if (!known || known.at < row.at || (known.at.getTime() === row.at.getTime() && known.eventId < row.eventId)) rows.set(key, row);
  };
  const places = new Map<string, { municipalityId: string; regionCode: string; timeZone: string; at: Date; eventId: string }>();
  const populations = new Map<string, { municipalityId: string; year: number; children: number; budget: number; at: Date; eventId: string }>();
  const groups = new Map<string, { groupId: string; municipalityId: string; direction: string; fundingKind: string; at: Date; eventId: string }>();
  const placeSources = new Map<string, Date[]>();
  const populationSources: { municipalityId: string; year: number; at: Date }[] = [];
  const groupSources: Date[] = [];
  const subjectRows: ({ subjectKey: string; sourceAt: Date } & SubjectEvent)[] = [];
  for (const { source, fact } of recorded) {
    const at = atOf(source);
    const base = { municipalityId: source.municipalityId, at, eventId: source.id };
    switch (fact.kind) {
      case "municipality":
        latest(places, source.municipalityId, { ...base, regionCode: fact.regionCode, timeZone: fact.timeZone });
        placeSources.set(source.municipalityId, [...(placeSources.get(source.municipalityId) ?? []), at]);
        break;
      case "population":
        latest(populations, `${source.municipalityId}|${fact.year}`, { ...base, year: fact.year, children: fact.children, budget: fact.budget });
        populationSources.push({ municipalityId: source.municipalityId, year: fact.year, at });
        break;
      case "group":
        latest(groups, fact.groupId, { ...base, groupId: fact.groupId, direction: fact.direction, fundingKind: fact.fundingKind });
        groupSources.push(at);
        break;
      case "subjects":
        for (const subjectFact of fact.facts) {
          const attrs: Record<string, string | number | null> = { ...subjectFact.attrs };
          for (const [name, ref] of Object.entries(subjectFact.keyed ?? {})) attrs[name] = pseudonym(deps.pseudonymKey, ref.type, ref.id);
          subjectRows.push({
            subjectKey: pseudonym(deps.pseudonymKey, subjectFact.subject.type, subjectFact.subject.id),
            eventId: source.id,
            kind: subjectFact.kind,
            municipalityId: source.municipalityId,
            at,
            attrs,
            sourceAt: at,
          });
        }
        break;
      default: {
        const never: never = fact;
        throw new Error(`unhandled fact ${JSON.stringify(never)}`);
      }
    }
  }

  const regionsBefore = await upsertMunicipalities(tx, [...places.values()]);
  await upsertPopulations(tx, [...populations.values()]);
  await upsertGroups(tx, [...groups.values()]);
  const sums: SumChange[] = [];
  await recordSubjectEvents(tx, subjectRows, marks, sums);

  // A municipality's place or population reaches its cells from its earliest contribution on.
  const earliest = await earliestIn(tx, [...new Set([...places.keys(), ...populationSources.map((p) => p.municipalityId)])]);
  for (const [municipalityId, sources] of placeSources) {
    const since = earliest.get(municipalityId);
    if (!since) continue;
    marks.municipality(municipalityId, since, sources);
    marks.region(regionsBefore.get(municipalityId) ?? "", since, sources);
  }
  for (const { municipalityId, year, at } of populationSources) {
    const since = earliest.get(municipalityId);
    const yearStart = new Date(Date.UTC(year, 0, 1) - 14 * 3_600_000); // the year's first local day in any zone
    if (since) marks.municipality(municipalityId, since > yearStart ? since : yearStart, [at]);
  }
  // A group's direction and funding kind reach the cells of its enrollments.
  if (groupSources.length > 0) {
    for (const counted of await earliestThroughGroups(tx, [...groups.keys()])) marks.municipality(counted.municipalityId, counted.at, groupSources);
  }
  await markPending(tx, marks.rows());
  await appendSumChanges(tx, sums);
}

/** The service's position in each topic partition: from the batch's offsets, or the inbox rows of this transaction. */
async function advance(tx: PoolClient, recorded: readonly Recorded[]): Promise<void> {
  const next = new Map<string, { topic: string; partition: number; nextOffset: bigint }>();
  const unplaced: string[] = [];
  for (const { source, position } of recorded) {
    if (!position) {
      unplaced.push(source.id);
      continue;
    }
    const key = `${position.partition}|${position.topic}`;
    const offset = BigInt(position.offset) + 1n;
    const known = next.get(key);
    if (!known || known.nextOffset < offset) next.set(key, { topic: position.topic, partition: position.partition, nextOffset: offset });
  }
  await advancePositions(tx, [...next.values()]);
  await advancePositionsFromInbox(tx, unplaced);
}

/**
 * Keep the subjects' events and, for every subject with an event new to it, replace its
 * contributions with those of all its events; mark every municipality whose counts may differ,
 * from the earliest instant that differs.
 */
async function recordSubjectEvents(
  tx: PoolClient,
  rows: readonly ({ subjectKey: string; sourceAt: Date } & SubjectEvent)[],
  marks: Marks,
  sums: SumChange[],
): Promise<void> {
  if (rows.length === 0) return;
  await lockSubjects(tx, [...new Set(rows.map((row) => row.subjectKey))].filter((key) => !ONE_PARTITION.has(subjectTypeOf(key))));
  const fresh = await insertSubjectEvents(tx, rows);
  const sources = new Map<string, Date[]>();
  for (const row of rows) {
    if (fresh.has(`${row.subjectKey}|${row.eventId}`)) sources.set(row.subjectKey, [...(sources.get(row.subjectKey) ?? []), row.sourceAt]);
  }
  if (sources.size === 0) return;
  const events = await subjectEventsOf(tx, [...sources.keys()]);
  const contributions = new Map<string, Contribution[]>();
  for (const [subjectKey, known] of events) contributions.set(subjectKey, contributionsOf(subjectTypeOf(subjectKey), known));
  const before = await replaceContributions(tx, contributions);
  sums.push(...sumChanges(before, contributions));
  const signature = (c: Contribution) => `${c.municipalityId}|${c.measure}|${JSON.stringify(c.dims)}|${c.groupId}|${c.birthYear}|${c.at.getTime()}|${c.delta}|${c.sample}`;
  for (const [subjectKey, now] of contributions) {
    const old = before.get(subjectKey) ?? [];
    const oldSignatures = new Set(old.map(signature));
    const nowSignatures = new Set(now.map(signature));
    const changedBy = sources.get(subjectKey) ?? [];
    for (const c of old) if (!nowSignatures.has(signature(c))) marks.municipality(c.municipalityId, c.at, changedBy, reachOf(c.measure));
    for (const c of now) if (!oldSignatures.has(signature(c))) marks.municipality(c.municipalityId, c.at, changedBy, reachOf(c.measure));
  }
}

const QUARTER_MS = 15 * 60_000;

/**
 * What replacing contributions changes in their sums per municipality, breakdown and quarter
 * hour: the old ones taken away, the new ones added, netted. queue.wait is not summed.
 */
export function sumChanges(before: ReadonlyMap<string, readonly Contribution[]>, after: ReadonlyMap<string, readonly Contribution[]>): SumChange[] {
  const changes = new Map<string, SumChange>();
  const add = (c: Contribution, sign: 1 | -1) => {
    if (c.measure === "queue.wait") return;
    const quarter = Math.floor(c.at.getTime() / QUARTER_MS) * QUARTER_MS;
    const key = `${c.municipalityId}|${quarter}|${c.measure}|${dimsKey(c.dims)}|${c.groupId ?? ""}|${c.birthYear ?? ""}`;
    const known = changes.get(key);
    if (known) {
      known.delta += sign * c.delta;
      known.rows += sign;
    } else {
      changes.set(key, { municipalityId: c.municipalityId, quarter: new Date(quarter), measure: c.measure, dims: c.dims, groupId: c.groupId, birthYear: c.birthYear, delta: sign * c.delta, rows: sign });
    }
  };
  for (const list of before.values()) for (const c of list) add(c, -1);
  for (const list of after.values()) for (const c of list) add(c, 1);
  return [...changes.values()].filter((change) => change.delta !== 0 || change.rows !== 0);
}
