import { ageOn, compareDates, formatLocalDate, localDateOf, parseLocalDate } from "@kruzhok/time";
import { CERTIFICATE_AGES, type AgeBand } from "@kruzhok/contracts";
import { registryError } from "./errors";

/** The one age rule of the house (CERTIFICATE_AGES): from the 5th birthday to the day before the 18th. */
export const MIN_AGE = CERTIFICATE_AGES.min;
export const MAX_AGE_EXCLUSIVE = CERTIFICATE_AGES.max + 1;

/** Age on the local calendar of the municipality at `now` (a child in Kamchatka turns 5 at local midnight). */
export function localAge(birthDate: string, now: Date, timeZone: string): number {
  return ageOn(parseLocalDate(birthDate), localDateOf(now, timeZone));
}

/** A certificate is issued to a child aged 5 to 17 on the day of issue, in the municipality's zone. */
export function assertIssuableAge(birthDate: string, now: Date, timeZone: string): number {
  const age = localAge(birthDate, now, timeZone);
  if (age < MIN_AGE || age >= MAX_AGE_EXCLUSIVE) {
    throw registryError(
      "AGE_OUT_OF_RANGE",
      `a certificate is issued to children aged ${MIN_AGE} to ${MAX_AGE_EXCLUSIVE - 1}; this child is ${age} today in ${timeZone}`,
      { field: "child.birthDate", age },
    );
  }
  return age;
}

export function ageBand(age: number): AgeBand {
  if (age <= 6) return "5-6";
  if (age <= 10) return "7-10";
  if (age <= 14) return "11-14";
  return "15-17";
}

/** A birth date after today on the municipality's calendar is a typing mistake. */
export function assertBornBy(birthDate: string, now: Date, timeZone: string, field = "birthDate"): void {
  const today = localDateOf(now, timeZone);
  if (compareDates(parseLocalDate(birthDate), today) > 0) {
    throw registryError("BIRTH_DATE_IN_FUTURE", `the birth date ${birthDate} is after today (${formatLocalDate(today)}); check the birth certificate`, { field });
  }
}

/**
 * A child registered here is younger than 18 on the municipality's calendar: an older birth date
 * (1900-01-01, a parent's typed in the child's field) is a slip, refused before anything is written.
 */
export function assertMinor(birthDate: string, now: Date, timeZone: string, field = "birthDate"): void {
  const age = localAge(birthDate, now, timeZone);
  if (age >= MAX_AGE_EXCLUSIVE) {
    throw registryError(
      "BIRTH_DATE_IMPLAUSIBLE",
      `a child registered here is younger than ${MAX_AGE_EXCLUSIVE}; born on ${birthDate}, they would be ${age} today: check the year`,
      { field },
    );
  }
}

/** A passport is issued at 14: younger children are registered with a birth certificate or national id. */
export const PASSPORT_AGE = 14;

/** A child's own passport is their document from 14 (Kamchatka's list); before that it cannot be theirs. */
export function assertDocumentFitsAge(kind: string, birthDate: string, now: Date, timeZone: string): void {
  if (kind !== "passport") return;
  const age = localAge(birthDate, now, timeZone);
  if (age < PASSPORT_AGE) {
    throw registryError(
      "PASSPORT_TOO_YOUNG",
      `a child's own passport is accepted from ${PASSPORT_AGE}; this child is ${age}: register them with a birth certificate, SNILS or IIN`,
      { field: "document.kind" },
    );
  }
}
