import type { Queryable } from "@kruzhok/postgres";
import { attendanceError } from "../domain/errors";
import { defaultRules, type RulesBook, type RulesVersion } from "../domain/rules";
import { localDate, type GroupPlan } from "../domain/schedule";
import { findGroup, findMunicipality, type GroupRow, type MunicipalityRow } from "../store/projections";
import { rulesVersions } from "../store/rules";

// What several use cases load the same way: a municipality's rules of a year, a group as a plan.

/** The municipality, which attendance must have heard of from the registry. */
export async function municipalityOf(db: Queryable, id: string): Promise<MunicipalityRow> {
  const municipality = await findMunicipality(db, id);
  if (!municipality) throw attendanceError("MUNICIPALITY_UNKNOWN", `municipality ${id} is not known to attendance yet`);
  return municipality;
}

/** A year's rules as kept: the seed defaults for the municipality's country, and every version it set (domain/rules.ts says which is in force on a date). */
export function bookOf(year: number, currency: "RUB" | "KZT" | undefined, versions: readonly RulesVersion[]): RulesBook {
  return { year, defaults: defaultRules(year, currency ?? "RUB"), versions };
}

/** The book of `year`'s rules of the municipality. */
export async function rulesOf(db: Queryable, municipality: { id: string; currency?: "RUB" | "KZT" }, year: number): Promise<RulesBook> {
  return bookOf(year, municipality.currency, await rulesVersions(db, municipality.id, [year]));
}

/** Rules by year, loaded once each for a use case that spans several years. */
export function rulesCache(db: Queryable, municipality: { id: string; currency?: "RUB" | "KZT" }): (year: number) => Promise<RulesBook> {
  const cache = new Map<number, Promise<RulesBook>>();
  return (year) => {
    let found = cache.get(year);
    if (!found) cache.set(year, (found = rulesOf(db, municipality, year)));
    return found;
  };
}

export function planOf(row: GroupRow): GroupPlan {
  const { closedAt, ...rest } = row;
  return { ...rest, closedOn: closedAt ? localDate(closedAt, row.timeZone) : null };
}

export async function groupOf(db: Queryable, id: string, lock = false): Promise<GroupPlan> {
  const row = await findGroup(db, id, lock);
  if (!row) throw attendanceError("GROUP_NOT_FOUND", `no group ${id}`);
  return planOf(row);
}
