import type { Currency } from "@kruzhok/contracts";
import type { Cause } from "@kruzhok/messaging";
import type { PoolClient } from "@kruzhok/postgres";
import { setMunicipalityCurrency } from "../store/notifications";
import { upsertMunicipality, upsertYear, type YearRules } from "../store/projections";
import { rerankMunicipality } from "./applications";

// Municipalities and their yearly rules, as the registry announces them.

/**
 * A municipality: its region (whose officials reach its queues and campaigns), zone (deadlines,
 * local days) and currency (tenge picks Kazakh for messages to families).
 */
export async function recordMunicipality(
  tx: PoolClient,
  municipality: { municipalityId: string; regionCode: string; timeZone: string; currency: Currency },
  now: Date,
): Promise<void> {
  await upsertMunicipality(tx, municipality.municipalityId, municipality.regionCode, municipality.timeZone, now);
  await setMunicipalityCurrency(tx, municipality.municipalityId, municipality.currency);
}

/**
 * The municipality's rules for a year. A new category order re-ranks every waiting application
 * of the municipality (the same order again moves nothing).
 */
export async function recordYearRules(tx: PoolClient, municipalityId: string, rules: YearRules & { currency: Currency }, now: Date, cause: Cause): Promise<void> {
  const { currency, ...year } = rules;
  await setMunicipalityCurrency(tx, municipalityId, currency);
  const before = await upsertYear(tx, municipalityId, year);
  if (before?.join(",") === year.categories.join(",")) return;
  await rerankMunicipality(tx, municipalityId, now, cause);
}
