import { z } from "zod";

/** Ids are UUIDs; events use version 7 so that ids sort by creation time. */
export const Uuid = z.uuid();
export const UuidV7 = z.uuid({ version: "v7" });

export const MunicipalityId = Uuid.describe("Municipality (tenant) id");
export type MunicipalityId = z.infer<typeof MunicipalityId>;

/** ISO 4217 codes of the currencies Kruzhok pays in. */
export const Currency = z.enum(["RUB", "KZT"]).describe("ISO 4217 currency code");
export type Currency = z.infer<typeof Currency>;

/**
 * Money is an integer number of minor units (kopecks, tiyn) with its currency. Never a float:
 * a budget of 1.5 billion roubles is 150_000_000_000 kopecks, which is exact in a double up to
 * 2^53, far above any municipal budget.
 */
export const MinorUnits = z
  .number()
  .int("must be a whole number of minor units (kopecks or tiyn), not a fraction")
  .nonnegative("must not be negative")
  .max(Number.MAX_SAFE_INTEGER)
  .describe("Amount in minor units (1 RUB = 100 minor units)");

export const Money = z
  .strictObject({ amount: MinorUnits, currency: Currency })
  .describe("An amount of money in integer minor units with its currency");
export type Money = z.infer<typeof Money>;

function isIanaZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return zone.includes("/") || zone === "UTC";
  } catch {
    return false;
  }
}

/** An IANA time zone such as `Asia/Kamchatka`; offsets like `+12:00` are refused. */
export const TimeZone = z
  .string()
  .refine(isIanaZone, { message: "must be an IANA time zone such as Asia/Kamchatka" })
  .describe("IANA time zone");
export type TimeZone = z.infer<typeof TimeZone>;

/** An instant in UTC with a zone designator, as ISO 8601. */
// Years this system can mean: a date of year 0000 or 9999 is a typing slip, not a birth date.
const FIRST_YEAR = 1900;
const LAST_YEAR = 2199;
const plausibleYear = (text: string) => {
  const year = Number(text.slice(0, 4));
  return year >= FIRST_YEAR && year <= LAST_YEAR;
};
const yearMessage = `the year must be between ${FIRST_YEAR} and ${LAST_YEAR}`;

export const Instant = z.iso.datetime({ offset: true }).refine(plausibleYear, yearMessage).describe("ISO 8601 instant, of the years 1900-2199");
/** `YYYY-MM`: a calendar month (of the municipality's zone where it matters), of the years 1900-2199. */
export const LocalMonth = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, "must be YYYY-MM")
  .refine(plausibleYear, yearMessage)
  .describe("Calendar month, YYYY-MM, of the years 1900-2199");
/** A calendar date with no zone (`2026-09-01`). */
export const LocalDate = z.iso.date().refine(plausibleYear, yearMessage).describe("Calendar date, YYYY-MM-DD: a real one (no 30 February), of the years 1900-2199");

// --- Names people type -------------------------------------------------------------------------
// Invisible characters and words mixing alphabets never reach a schema: the HTTP kit refuses
// them on every write route (packages/http/src/text.ts). What is left to a name's schema: the
// same name typed twice must be the same string (a letter and its accent typed as two code
// points, doubled spaces), and a name must name something (letters, not only digits or signs).

/** NFC, runs of spaces (of any width) one space, trimmed. */
export function cleanText(text: string): string {
  return text.normalize("NFC").replace(/\s+/gu, " ").trim();
}

const hasLetter = (text: string) => /\p{L}/u.test(text);

/**
 * One line of text that names something or someone (a municipality, a provider, a program, a
 * campaign, a person): cleaned, then `min`..`max` characters with at least one letter.
 */
export const NameText = (min: number, max: number) =>
  z.string().overwrite(cleanText).min(min).max(max).refine(hasLetter, { message: "must contain letters, not only digits or signs" });

/**
 * Who holds a certificate, and so whom a program may take: "children aged 5 to 18" means from
 * the 5th birthday to the day before the 18th, on the municipality's calendar. Ages in whole
 * years, inclusive. The registry issues and closes certificates by it; the catalogue's age
 * ranges and search stay within it.
 */
export const CERTIFICATE_AGES = { min: 5, max: 17 } as const;
