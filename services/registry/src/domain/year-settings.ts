import { localDateOf } from "@kruzhok/time";
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

export interface CurrentYearState {
  /** Settings already stored for this year, if any. */
  existing: YearSettings | undefined;
  /** Certificates financed in this year so far. */
  financedCount: number;
}

/**
 * Settings of a year may be set before the year starts and amended while it runs, never after
 * it ends (in the municipality's zone). While it runs, what was promised stays: the nominal is
 * fixed once a certificate is financed with it, and the cap cannot drop below the certificates
 * already financed.
 */
export function decideYearSettings(next: YearSettings, state: CurrentYearState, now: Date, timeZone: string): void {
  const currentYear = localDateOf(now, timeZone).year;
  if (next.year < currentYear) {
    throw registryError("YEAR_IN_THE_PAST", `${next.year} has ended in ${timeZone}; its settings are read-only`, {
      field: "year",
    });
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
}
