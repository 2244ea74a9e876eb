import { z } from "zod";
import { CERTIFICATE_AGES, Currency, Direction, FundingKind, LocalDate, LocalTime, MinorUnits, Money, NameText, TimeZone } from "@kruzhok/contracts";

// HTTP bodies of the catalogue. Strict objects: a misspelt field is refused, not ignored.

export const IdParams = z.strictObject({ id: z.uuid() });

// The certificate's ages (CERTIFICATE_AGES): a program takes no one the certificate does not cover.
const Age = z
  .number()
  .int("must be a whole number of years")
  .min(CERTIFICATE_AGES.min, `must be at least ${CERTIFICATE_AGES.min}`)
  .max(CERTIFICATE_AGES.max, `must be at most ${CERTIFICATE_AGES.max}: certificates are held from the 5th birthday to the day before the 18th`);

export const ProgramBody = z.strictObject({
  title: NameText(3, 200),
  description: z.string().trim().max(5_000),
  direction: Direction,
  ageRange: z.strictObject({ min: Age, max: Age }).describe("Ages the program takes, inclusive, within 5-17 (the certificate's ages: the 5th birthday to the day before the 18th)"),
  totalHours: z.number().int().positive().max(2_000).describe("Lesson hours of the whole program"),
  weeklyHours: z.number().int().positive().max(40).describe("Lesson hours a week"),
  price: Money.describe("Price of one lesson hour in minor units, in the municipality's currency"),
  fundingKind: FundingKind,
  certification: z
    .strictObject({ number: z.string().trim().min(1).max(100), date: LocalDate, expiry: LocalDate })
    .nullable()
    .default(null)
    .describe("Independent certification; required for financed programs and in force when published"),
  address: z.strictObject({
    text: z.string().trim().min(3).max(500),
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
  }),
  teachers: z
    .array(z.strictObject({ publicName: NameText(2, 200), qualification: z.string().trim().min(2).max(300) }))
    .min(1, "name at least one teacher")
    .max(50),
}).meta({ examples: [{ title: "Робототехника для начинающих", description: "Конструируем и программируем роботов.", direction: "technical", ageRange: { min: 8, max: 12 }, totalHours: 72, weeklyHours: 2, price: { amount: 25_000, currency: "RUB" }, fundingKind: "financed", certification: { number: "C-41-0127", date: "2026-05-20", expiry: "2027-05-20" }, address: { text: "Петропавловск-Камчатский, ул. Ленинская, 12", latitude: 53.0167, longitude: 158.65 }, teachers: [{ publicName: "Иван Петрович Соколов", qualification: "педагог дополнительного образования, высшая категория" }] }] });

export const ProviderProgramsQuery = z.strictObject({
  status: z.enum(["draft", "published", "withdrawn"]).optional(),
  cursor: z.uuid().optional().describe("nextCursor of the page before"),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** What a certificate would pay of a financed program, as the navigator and the program's page show it. */
export const CertificateCoverage = z
  .object({
    basis: z.literal("estimate"),
    rule: z.enum(["price_within_nominal", "nominal_over_program_hours", "voucher_pays_all"]),
    explanation: z.object({ ru: z.string(), kk: z.string() }).describe("The rule as a family reads it"),
    certificatePaysPerHour: z.number(),
    familyCoPaymentPerHour: z.number().nullable().describe("null: the family adds nothing (the certificate or the voucher covers everything)"),
  })
  .nullable()
  .describe(
    "An estimate of what a certificate pays per lesson hour, with the rule used, for a financed program; null for free and paid programs and before the year's nominal is set",
  );

export const Program = z.object({
  id: z.uuid(),
  providerId: z.uuid(),
  providerName: z.string(),
  municipalityId: z.uuid(),
  status: z.enum(["draft", "published", "withdrawn"]),
  title: z.string(),
  description: z.string(),
  direction: Direction,
  ageRange: z.object({ min: z.number(), max: z.number() }),
  totalHours: z.number(),
  weeklyHours: z.number(),
  price: z.object({ amount: z.number(), currency: Currency }),
  fundingKind: FundingKind,
  certification: z.object({ number: z.string(), date: z.string(), expiry: z.string() }).nullable(),
  address: z.object({ text: z.string(), latitude: z.number(), longitude: z.number() }),
  teachers: z.array(z.object({ publicName: z.string(), qualification: z.string() })),
  rating: z.object({ average: z.number().nullable(), count: z.number() }),
  publishedAt: z.string().nullable(),
});

/** One program as its page shows it: with the estimate of what the certificate covers. */
export const ProgramPage = Program.extend({ certificateCoverage: CertificateCoverage });

export const ProviderPrograms = z.object({ items: z.array(Program), nextCursor: z.uuid().nullable() });

const Slot = z.strictObject({
  weekday: z.number().int().min(1).max(7).describe("ISO weekday: Monday = 1 ... Sunday = 7"),
  start: LocalTime,
  end: LocalTime,
});

export const GroupBody = z.strictObject({
  capacity: z.number().int().positive().max(500),
  schedule: z
    .strictObject({ timeZone: TimeZone, slots: z.array(Slot).min(1, "give at least one weekly slot").max(21) })
    .describe("Weekly slots in the municipality's local time, with its zone"),
  startsOn: LocalDate,
  endsOn: LocalDate,
  exceptions: z
    .array(z.strictObject({ date: LocalDate, kind: z.enum(["holiday", "cancelled"]), note: z.string().trim().max(300).nullable().default(null) }))
    .max(366)
    .default([])
    .describe("Days without lessons: holidays and cancelled lessons"),
}).meta({
  examples: [
    {
      capacity: 12,
      schedule: { timeZone: "Asia/Kamchatka", slots: [{ weekday: 2, start: "16:00", end: "17:30" }, { weekday: 4, start: "16:00", end: "17:30" }] },
      startsOn: "2026-09-01",
      endsOn: "2027-05-31",
      exceptions: [{ date: "2026-11-04", kind: "holiday", note: "День народного единства" }],
    },
  ],
});

export const Group = z.object({
  id: z.uuid(),
  programId: z.uuid(),
  status: z.enum(["open", "closed"]),
  capacity: z.number(),
  activeEnrollments: z.number(),
  freeSeats: z.number(),
  schedule: z.object({ timeZone: z.string(), slots: z.array(z.object({ weekday: z.number(), start: z.string(), end: z.string() })) }),
  startsOn: z.string(),
  endsOn: z.string(),
  exceptions: z.array(z.object({ date: z.string(), kind: z.enum(["holiday", "cancelled"]), note: z.string().nullable() })),
  acceptingApplications: z.boolean(),
});

export const ReviewBody = z.strictObject({
  enrollmentId: z.uuid(),
  rating: z.number().int("must be a whole number of stars").min(1).max(5),
  text: z.string().trim().min(1).max(3_000),
}).meta({ examples: [{ enrollmentId: "0195f0a0-0000-7000-8000-0000000000e1", rating: 5, text: "Сын собрал первого робота и ждёт каждого занятия." }] });

export const Review = z.object({ id: z.uuid(), programId: z.uuid(), rating: z.number(), text: z.string(), createdAt: z.string() });

export const Reviews = z.object({
  average: z.number().nullable(),
  count: z.number(),
  items: z.array(Review),
});

export const SearchQuery = z.strictObject({
  municipalityId: z.uuid().optional(),
  direction: Direction.optional(),
  fundingKind: FundingKind.optional(),
  age: z.coerce.number().int().min(CERTIFICATE_AGES.min).max(CERTIFICATE_AGES.max).optional().describe("The child's age, 5-17"),
  weekday: z.coerce.number().int().min(1).max(7).optional().describe("ISO weekday a lesson should fall on"),
  from: LocalTime.optional().describe("Lessons start at or after (local time)"),
  to: LocalTime.optional().describe("Lessons end at or before (local time)"),
  freeSeats: z.stringbool().optional().describe("Only programs with a group that has a free seat"),
  lat: z.coerce.number().min(-90).max(90).optional(),
  lon: z.coerce.number().min(-180).max(180).optional(),
  radiusKm: z.coerce.number().positive().max(500).optional(),
  q: z.string().trim().min(1).max(200).optional().describe("Words of the title or description, in Russian or Kazakh"),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});

export const SearchResult = z.object({
  items: z.array(
    z.object({
      id: z.uuid(),
      title: z.string(),
      direction: Direction,
      ageRange: z.object({ min: z.number(), max: z.number() }),
      fundingKind: FundingKind,
      provider: z.object({ id: z.uuid(), name: z.string() }),
      municipalityId: z.uuid(),
      price: z.object({ amount: MinorUnits, currency: Currency }).describe("Per lesson hour"),
      certificateCoverage: CertificateCoverage,
      certification: z
        .object({ number: z.string(), date: LocalDate, expiry: LocalDate })
        .nullable()
        .describe("The program's independent certification (the badge) and its last day; past it, its groups take no certificate applications"),
      rating: z.object({ average: z.number().nullable(), count: z.number() }),
      freeSeats: z.number(),
      openGroups: z.number(),
      acceptingApplications: z.boolean(),
      address: z.object({ text: z.string(), latitude: z.number(), longitude: z.number() }),
      distanceMetres: z.number().nullable(),
    }),
  ),
  nextCursor: z.string().nullable(),
  total: z.number().describe("Programs matching every filter"),
  // Every direction and funding kind, each with its count (0 included): spelt as objects, so the
  // document names each key it requires (a record keyed by an enum did not).
  facets: z.object({
    direction: z.object(countsOf(Direction.options)).describe("Programs matching the other filters, per direction"),
    fundingKind: z.object(countsOf(FundingKind.options)).describe("Programs matching the other filters, per funding kind"),
  }),
});

function countsOf<K extends string>(keys: readonly K[]): Record<K, z.ZodNumber> {
  return Object.fromEntries(keys.map((key) => [key, z.number().int().min(0)])) as Record<K, z.ZodNumber>;
}
