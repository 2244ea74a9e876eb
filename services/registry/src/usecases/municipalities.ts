import { v7 as uuidv7 } from "uuid";
import { requireRegion, requireRole, type Actor } from "@kruzhok/actor";
import { MunicipalityCreated, MunicipalityYearSet } from "@kruzhok/contracts";
import { emit, type Cause } from "@kruzhok/messaging";
import { registryError } from "../domain/errors";
import { announcedOnSave, decideYearSettings, defaultEffectiveFrom, versionOn, type YearSettings } from "../domain/year-settings";
import type { Queryable } from "@kruzhok/postgres";
import { formatLocalDate, localDateOf } from "@kruzhok/time";
import {
  addYearVersion,
  claimDueYearVersions,
  financedCountOf,
  findMunicipality,
  findYear,
  insertMunicipality,
  yearVersions,
  type MunicipalityRow,
  type StoredYear,
  type YearVersionRow,
} from "../store/municipalities";
import type { RegistryDeps } from "../deps";
import { assertReaches } from "./access";
import { inRounds, inTransaction } from "./transaction";

/** A municipality's year as the registry answers it: its settings, currency and financed count. */
export interface MunicipalityYear extends StoredYear {
  municipalityId: string;
  currency: MunicipalityRow["currency"];
}

/** A year's settings as one version: from when it is in force. */
export interface MunicipalityYearVersion extends MunicipalityYear {
  effectiveFrom: string;
}

/**
 * The regional authority creates a municipality of its own region; its code (the first part of
 * certificate numbers) is unique.
 */
export async function createMunicipality(deps: RegistryDeps, actor: Actor, command: Omit<MunicipalityRow, "id">, cause: Cause): Promise<MunicipalityRow> {
  requireRegion(requireRole(actor, "region"), command.regionCode, { field: "regionCode" });
  return inTransaction(deps, cause, async ({ tx, now }) => {
    const municipality: MunicipalityRow = { id: uuidv7(), ...command };
    if (!(await insertMunicipality(tx, municipality))) {
      throw registryError("MUNICIPALITY_CODE_TAKEN", `code ${municipality.code} is already used by another municipality`, { field: "code" });
    }
    const { id, ...announced } = municipality;
    await emit(tx, MunicipalityCreated, { ...cause, municipalityId: id, aggregateId: id }, { municipalityId: id, ...announced }, now);
    return municipality;
  });
}

/**
 * The municipality (its own) or its region sets or amends a year's settings, as the domain
 * allows (see `decideYearSettings`), in force from a date: today (local) unless it names a later
 * one, or the year's first day for a year ahead. The versions before stay and govern the days
 * before it. The year's row is locked, so the financed count it checks against cannot move meanwhile.
 */
export async function setYearSettings(
  deps: RegistryDeps,
  actor: Actor,
  command: { municipalityId: string; settings: YearSettings; effectiveFrom?: string | undefined },
  cause: Cause,
): Promise<MunicipalityYearVersion> {
  const { municipalityId, settings } = command;
  requireRole(actor, "municipality", "region");
  return inTransaction(deps, cause, async ({ tx, now }) => {
    await assertReaches(tx, actor, municipalityId);
    const municipality = await findMunicipality(tx, municipalityId);
    if (!municipality) throw registryError("MUNICIPALITY_NOT_FOUND", `no municipality ${municipalityId}`);
    const today = formatLocalDate(localDateOf(now, municipality.timeZone));
    const effectiveFrom = command.effectiveFrom ?? defaultEffectiveFrom(settings.year, today);
    const financedCount = (await financedCountOf(tx, municipalityId, settings.year, true)) ?? 0;
    const existing = await findYear(tx, municipalityId, settings.year, effectiveFrom);
    const version = decideYearSettings(settings, effectiveFrom, { existing, financedCount }, now, municipality.timeZone);
    const announced = announcedOnSave(version, today);
    const saved = await addYearVersion(tx, municipalityId, version, actor.subject, now, announced);
    if (announced) {
      // Versions of an earlier save whose date has come but the job has not announced yet go
      // first, so the last heard is the one in force (the later save of the same date).
      await announceDue(tx, now, cause, 10_000);
      await emit(
        tx,
        MunicipalityYearSet,
        { ...cause, municipalityId, aggregateId: `${municipalityId}:${settings.year}` },
        { ...settings, currency: municipality.currency, effectiveFrom },
        now,
      );
    }
    return { municipalityId, currency: municipality.currency, financedCount, ...settings, effectiveFrom: saved.effectiveFrom };
  });
}

/** The day a year's settings are read on when none is asked: today, or the year's nearest day for another year. */
export function readingDay(year: number, today: string): string {
  const first = `${year}-01-01`;
  const last = `${year}-12-31`;
  return today < first ? first : today > last ? last : today;
}

/** A year's settings in force on a local date (published: no one's name on it). */
export async function yearSettingsOn(db: Queryable, municipality: MunicipalityRow, year: number, on: string): Promise<MunicipalityYearVersion | undefined> {
  const inForce = versionOn(await yearVersions(db, municipality.id, year), on);
  if (!inForce) return undefined;
  const financedCount = (await financedCountOf(db, municipality.id, year)) ?? 0;
  return { municipalityId: municipality.id, currency: municipality.currency, financedCount, ...inForce.settings, effectiveFrom: inForce.effectiveFrom };
}

export interface YearVersionsView {
  year: number;
  /** The day `current` is in force on: today, or the year's nearest day. */
  on: string;
  current: MunicipalityYearVersion | null;
  /** Every version as saved, the last saved first; none is ever overwritten. */
  versions: (YearSettings & { effectiveFrom: string; setAt: string; setBy: string; inForce: boolean })[];
}

/** The year's settings in force and every version kept, with who saved each and when: for the municipality and its region. */
export async function yearSettingsVersions(db: Queryable, actor: Actor, municipalityId: string, year: number, now: Date): Promise<YearVersionsView> {
  requireRole(actor, "municipality", "region");
  await assertReaches(db, actor, municipalityId);
  const municipality = await findMunicipality(db, municipalityId);
  if (!municipality) throw registryError("MUNICIPALITY_NOT_FOUND", `no municipality ${municipalityId}`);
  const on = readingDay(year, formatLocalDate(localDateOf(now, municipality.timeZone)));
  const versions = await yearVersions(db, municipalityId, year);
  const inForce = versionOn(versions, on);
  const financedCount = (await financedCountOf(db, municipalityId, year)) ?? 0;
  return {
    year,
    on,
    current: inForce ? { municipalityId, currency: municipality.currency, financedCount, ...inForce.settings, effectiveFrom: inForce.effectiveFrom } : null,
    versions: versions
      .map((v: YearVersionRow) => ({ ...v.settings, effectiveFrom: v.effectiveFrom, setAt: v.setAt.toISOString(), setBy: v.setBy, inForce: v === inForce }))
      .reverse(),
  };
}

/**
 * The versions whose date has come, announced (each municipality's own zone): a job's round, in
 * rounds of `batch` claimed with SKIP LOCKED, oldest date first and in the order saved, so the
 * services that apply what they hear end with the version in force.
 */
export function announceYearSettings(deps: RegistryDeps, options: { batch?: number } = {}): Promise<{ announced: number }> {
  const batch = options.batch ?? 200;
  const cause: Cause = {};
  return inRounds(deps, cause, batch, async ({ tx, now }) => ({ announced: await announceDue(tx, now, cause, batch) }));
}

async function announceDue(tx: Queryable, now: Date, cause: Cause, limit: number): Promise<number> {
  const due = await claimDueYearVersions(tx, now, limit);
  for (const version of due) {
    await emit(
      tx,
      MunicipalityYearSet,
      { ...cause, municipalityId: version.municipalityId, aggregateId: `${version.municipalityId}:${version.settings.year}` },
      { ...version.settings, currency: version.currency, effectiveFrom: version.effectiveFrom },
      now,
    );
  }
  return due.length;
}
