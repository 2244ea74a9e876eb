import { v7 as uuidv7 } from "uuid";
import { requireRegion, requireRole, type Actor } from "@kruzhok/actor";
import { MunicipalityCreated, MunicipalityYearSet } from "@kruzhok/contracts";
import { emit, type Cause } from "@kruzhok/messaging";
import { registryError } from "../domain/errors";
import { decideYearSettings, type YearSettings } from "../domain/year-settings";
import { findMunicipality, findYear, insertMunicipality, upsertYear, type MunicipalityRow, type StoredYear } from "../store/municipalities";
import type { RegistryDeps } from "../deps";
import { assertReaches } from "./access";
import { inTransaction } from "./transaction";

/** A municipality's year as the registry answers it: its settings, currency and financed count. */
export interface MunicipalityYear extends StoredYear {
  municipalityId: string;
  currency: MunicipalityRow["currency"];
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
 * allows (see `decideYearSettings`); the year's row is locked, so the financed count it checks
 * against cannot move meanwhile.
 */
export async function setYearSettings(
  deps: RegistryDeps,
  actor: Actor,
  command: { municipalityId: string; settings: YearSettings },
  cause: Cause,
): Promise<MunicipalityYear> {
  const { municipalityId, settings } = command;
  requireRole(actor, "municipality", "region");
  return inTransaction(deps, cause, async ({ tx, now }) => {
    await assertReaches(tx, actor, municipalityId);
    const municipality = await findMunicipality(tx, municipalityId);
    if (!municipality) throw registryError("MUNICIPALITY_NOT_FOUND", `no municipality ${municipalityId}`);
    const existing = await findYear(tx, municipalityId, settings.year, true);
    const financedCount = existing?.financedCount ?? 0;
    decideYearSettings(settings, { existing, financedCount }, now, municipality.timeZone);
    await upsertYear(tx, municipalityId, settings);
    await emit(tx, MunicipalityYearSet, { ...cause, municipalityId, aggregateId: `${municipalityId}:${settings.year}` }, { ...settings, currency: municipality.currency }, now);
    return { municipalityId, currency: municipality.currency, financedCount, ...settings };
  });
}
