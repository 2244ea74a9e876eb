import { enrollmentError } from "./errors";

/**
 * What a municipality sets for itself (its calendar of days off, its notice thresholds) takes
 * effect from a date, and nothing is overwritten (issue #18): each setting is a version; a
 * correction is a new version, and of two with one date the one set later wins from that date
 * on. The earlier versions stay, and govern the days before.
 */
export interface Dated {
  /** The local date (the municipality's zone, YYYY-MM-DD) from which the version is in force. */
  effectiveFrom: string;
}

/**
 * The version in force on a local date: the latest effective date not after it, of two with one
 * date the one set later; undefined before the first takes effect (the defaults apply then).
 * `versions` in the order they were set.
 */
export function inForceOn<V extends Dated>(versions: readonly V[], date: string): V | undefined {
  let found: V | undefined;
  for (const version of versions) if (version.effectiveFrom <= date && (!found || version.effectiveFrom >= found.effectiveFrom)) found = version;
  return found;
}

/** When a version set without a date takes effect: today, or the year's first day for a year of its own still ahead. */
export function defaultEffectiveFrom(today: string, year?: number): string {
  const first = year === undefined ? today : `${year}-01-01`;
  return today < first ? first : today;
}

/**
 * A version's effective date: not before today (local), since a change takes effect from a date
 * and does not rewrite the past; for a year's setting, within that year. Refusals name the field.
 */
export function checkEffectiveFrom(effectiveFrom: string, today: string, year?: number): void {
  if (year !== undefined && !effectiveFrom.startsWith(`${year}-`)) {
    throw enrollmentError("SETTINGS_DATE_OUTSIDE_YEAR", `effective date ${effectiveFrom} is not in ${year}`, { field: "effectiveFrom" });
  }
  if (effectiveFrom < today) throw enrollmentError("SETTINGS_RETROACTIVE", `a setting cannot take effect on ${effectiveFrom}, before today (${today})`, { field: "effectiveFrom" });
}

/** When families are told their turn is near, and when an offer's reminder goes. */
export interface NoticeSettings {
  /** "Within N of the head": positions 1..N. */
  positionThreshold: number;
  /** How long before an offer's deadline its reminder goes, in hours. */
  offerReminderHours: number;
}

export interface NoticeVersion extends NoticeSettings, Dated {}

/** A new version of the notice thresholds, from a date not before today. */
export function decideNoticeVersion(settings: NoticeSettings, effectiveFrom: string, today: string): NoticeVersion {
  checkEffectiveFrom(effectiveFrom, today);
  return { effectiveFrom, positionThreshold: settings.positionThreshold, offerReminderHours: settings.offerReminderHours };
}
