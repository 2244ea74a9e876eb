import { formatLocalDate, localDateOf } from "@kruzhok/time";
import { registryError } from "./errors";

export interface YearSettings {
  year: number;
  nominal: number;
  budget: number;
  financedCap: number;
  childrenPopulation: number;
  categories: { code: string; coefficient: number }[];
  maxOpenApplications: number;
  deadlines: { offerAcceptanceDays: number; providerReviewWorkingDays: number; monthCloseDay: number };
}

/**
 * One setting of a year's settings: in force from `effectiveFrom` (a local date of that year)
 * until a later one takes effect. Nothing is overwritten: a correction is a new version, and a
 * version saved later with the same date supersedes the earlier one from that date on.
 */
export interface YearSettingsVersion {
  effectiveFrom: string;
  settings: YearSettings;
}

/**
 * The version in force on a local date: the latest effective date not after it (of two with the
 * same date, the one saved later; `versions` come in the order they were saved), or undefined
 * before the first took effect.
 */
export function versionOn<V extends { effectiveFrom: string }>(versions: readonly V[], date: string): V | undefined {
  let found: V | undefined;
  for (const version of versions) if (version.effectiveFrom <= date && (!found || version.effectiveFrom >= found.effectiveFrom)) found = version;
  return found;
}

/** When a version saved without a date takes effect: today, or the year's first day for a year still ahead. */
export function defaultEffectiveFrom(year: number, today: string): string {
  const first = `${year}-01-01`;
  return today < first ? first : today;
}

export interface CurrentYearState {
  /** Settings in force on the new version's effective date (or the latest saved), if any. */
  existing: YearSettings | undefined;
  /** Certificates financed in this year so far. */
  financedCount: number;
}

/**
 * Settings of a year may be set before the year starts and amended while it runs, never after
 * it ends (in the municipality's zone). An amendment takes effect from a date in the year, not
 * before today: it does not rewrite the past. While it runs, what was promised stays: the nominal is
 * fixed once a certificate is financed with it, and the cap cannot drop below the certificates
 * already financed.
 */
export function decideYearSettings(next: YearSettings, effectiveFrom: string, state: CurrentYearState, now: Date, timeZone: string): YearSettingsVersion {
  const today = formatLocalDate(localDateOf(now, timeZone));
  const currentYear = localDateOf(now, timeZone).year;
  if (next.year < currentYear) {
    throw registryError("YEAR_IN_THE_PAST", `${next.year} has ended in ${timeZone}; its settings are read-only`, {
      field: "year",
    });
  }
  if (!effectiveFrom.startsWith(`${next.year}-`)) {
    throw registryError("YEAR_DATE_OUTSIDE_YEAR", `effective date ${effectiveFrom} is not in ${next.year}`, { field: "effectiveFrom" });
  }
  if (effectiveFrom < today) {
    throw registryError("YEAR_SETTINGS_RETROACTIVE", `settings cannot take effect on ${effectiveFrom}, before today (${today})`, { field: "effectiveFrom" });
  }
  if (state.existing && state.financedCount > 0 && state.existing.nominal !== next.nominal) {
    throw registryError(
      "NOMINAL_FIXED",
      `${state.financedCount} certificates are already financed with the nominal ${state.existing.nominal} for ${next.year}; it cannot change during the year`,
      { field: "nominal" },
    );
  }
  if (next.financedCap < state.financedCount) {
    throw registryError(
      "CAP_BELOW_FINANCED",
      `${state.financedCount} certificates are already financed in ${next.year}; the cap cannot be lower`,
      { field: "financedCap" },
    );
  }
  const codes = new Set<string>();
  next.categories.forEach((category, index) => {
    if (codes.has(category.code)) {
      throw registryError("CATEGORY_UNKNOWN", `category ${category.code} is listed twice`, { field: `categories.${index}.code` });
    }
    codes.add(category.code);
  });
  return { effectiveFrom, settings: next };
}

/**
 * Whether a version is announced when saved, or on its date. The services that keep a year's
 * settings (payments' budget and nominal, enrollment's category order, catalogue, statistics) key
 * them by year and apply what they hear at once: a version from a later day of a running year
 * (or from a later day than 1 January of a year ahead) is announced on its date, so nobody applies
 * it early. A year ahead's version from its first day is announced at once: it governs that whole
 * year, which the services prepare before it begins (payments rolls certificates into it).
 */
export function announcedOnSave(version: YearSettingsVersion, today: string): boolean {
  return version.effectiveFrom <= today || version.effectiveFrom === `${version.settings.year}-01-01`;
}
