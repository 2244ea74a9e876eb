import type { Cause } from "@kruzhok/messaging";
import type { PoolClient } from "@kruzhok/postgres";
import { contributionsOf, subjectTypeOf, type SubjectEventKind, type SubjectType } from "../domain/subjects";
import {
  advancePosition,
  earliestIn,
  earliestThroughGroup,
  insertSubjectEvent,
  lockSubjects,
  markPending,
  replaceContributions,
  subjectEvents,
  upsertGroup,
  upsertMunicipality,
  upsertPopulation,
} from "../store/facts";
import type { StatisticsDeps } from "../deps";
import { pseudonym } from "./keys";
import { Dirty } from "./publish";

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
  | { kind: "population"; year: number; children: number }
  | { kind: "group"; groupId: string; direction: string; fundingKind: string }
  | { kind: "subjects"; facts: readonly SubjectFact[] };

/**
 * Apply one consumed event to the aggregates, in the consumer's transaction: the service's
 * position in the topic advances, the fact and the contributions it changes are kept (one
 * writer per subject at a time), and where they change the cells is noted for the publisher. One
 * transaction, so the position and the aggregates never disagree; the published cells are a
 * function of the contributions, recomputed by `publishPending` once for all the events that
 * reached a block since its last round (usecases/publish.ts).
 */
export async function recordFact(deps: StatisticsDeps, tx: PoolClient, source: Source, fact: Fact, _cause: Cause): Promise<void> {
  await advancePosition(tx, source.id);
  const at = new Date(source.occurredAt);
  const dirty = new Dirty();
  switch (fact.kind) {
    case "municipality": {
      const { before } = await upsertMunicipality(tx, { municipalityId: source.municipalityId, regionCode: fact.regionCode, timeZone: fact.timeZone, at, eventId: source.id });
      const earliest = await earliestIn(tx, source.municipalityId);
      if (earliest) {
        dirty.municipality(source.municipalityId, earliest);
        dirty.region(before ?? "", earliest);
      }
      break;
    }
    case "population": {
      await upsertPopulation(tx, { municipalityId: source.municipalityId, year: fact.year, children: fact.children, at, eventId: source.id });
      const earliest = await earliestIn(tx, source.municipalityId);
      const yearStart = new Date(Date.UTC(fact.year, 0, 1) - 14 * 3_600_000); // the year's first local day in any zone
      if (earliest) dirty.municipality(source.municipalityId, earliest > yearStart ? earliest : yearStart);
      break;
    }
    case "group": {
      await upsertGroup(tx, { groupId: fact.groupId, municipalityId: source.municipalityId, direction: fact.direction, fundingKind: fact.fundingKind, at, eventId: source.id });
      for (const counted of await earliestThroughGroup(tx, fact.groupId)) dirty.municipality(counted.municipalityId, counted.at);
      break;
    }
    case "subjects":
      await lockSubjects(tx, fact.facts.map((f) => pseudonym(deps.pseudonymKey, f.subject.type, f.subject.id)));
      for (const subjectFact of fact.facts) await recordSubjectEvent(deps, tx, source, at, subjectFact, dirty);
      break;
    default: {
      const never: never = fact;
      throw new Error(`unhandled fact ${JSON.stringify(never)}`);
    }
  }
  await markPending(tx, dirty.since, dirty.regions, at);
}

async function recordSubjectEvent(deps: StatisticsDeps, tx: PoolClient, source: Source, at: Date, fact: SubjectFact, dirty: Dirty): Promise<void> {
  const subjectKey = pseudonym(deps.pseudonymKey, fact.subject.type, fact.subject.id);
  const attrs: Record<string, string | number | null> = { ...fact.attrs };
  for (const [name, ref] of Object.entries(fact.keyed ?? {})) attrs[name] = pseudonym(deps.pseudonymKey, ref.type, ref.id);
  const fresh = await insertSubjectEvent(tx, subjectKey, { eventId: source.id, kind: fact.kind, municipalityId: source.municipalityId, at, attrs });
  if (!fresh) return;
  const contributions = contributionsOf(subjectTypeOf(subjectKey), await subjectEvents(tx, subjectKey));
  const before = await replaceContributions(tx, subjectKey, contributions);
  // Every municipality whose counts may differ, from the earliest instant that differs.
  const signature = (c: (typeof contributions)[number]) => `${c.municipalityId}|${c.measure}|${JSON.stringify(c.dims)}|${c.groupId}|${c.birthYear}|${c.at.getTime()}|${c.delta}|${c.sample}`;
  const old = new Set(before.map(signature));
  const now = new Set(contributions.map(signature));
  for (const c of before) if (!now.has(signature(c))) dirty.municipality(c.municipalityId, c.at);
  for (const c of contributions) if (!old.has(signature(c))) dirty.municipality(c.municipalityId, c.at);
}
