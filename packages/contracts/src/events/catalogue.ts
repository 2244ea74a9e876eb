import { z } from "zod";
import { defineEvent } from "../envelope";
import { Currency, LocalDate, MinorUnits, TimeZone, Uuid } from "../primitives";
import { Topics } from "../topics";

// Catalogue events carry everything enrollment, attendance and payments need about a program
// and its groups (schedule with its zone, capacity, price, funding kind, age range, ids), so
// that they keep their own copies and never call the catalogue. Each event is a full snapshot:
// a consumer upserts it and needs no earlier event.

export const Direction = z
  .enum(["technical", "natural_science", "physical_culture_and_sports", "arts", "tourism_and_local_history", "social_and_humanitarian"])
  .describe("Direction of supplementary education");
export type Direction = z.infer<typeof Direction>;

export const FundingKind = z
  .enum(["financed", "free", "paid"])
  .describe("financed: payable from certificates; free: municipal assignment; paid: the family pays");
export type FundingKind = z.infer<typeof FundingKind>;

export const AgeRange = z.object({ min: z.number().int(), max: z.number().int() }).describe("Ages, inclusive, within 5-18");

export const Certification = z
  .object({ number: z.string(), date: LocalDate, expiry: LocalDate })
  .describe("Independent certification a financed program needs");

/** `HH:MM` on the 24-hour clock, local time of the group's zone. */
export const LocalTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be HH:MM on the 24-hour clock");

export const ScheduleSlot = z.object({
  weekday: z.number().int().min(1).max(7).describe("ISO weekday: Monday = 1 ... Sunday = 7"),
  start: LocalTime,
  end: LocalTime,
});

export const Schedule = z
  .object({ timeZone: TimeZone, slots: z.array(ScheduleSlot) })
  .describe("Weekly slots in the municipality's local time; the zone travels with them");

export const ScheduleException = z.object({
  date: LocalDate,
  kind: z.enum(["holiday", "cancelled"]),
  note: z.string().nullable(),
});

const ProgramSnapshot = {
  programId: Uuid,
  providerId: Uuid,
  title: z.string(),
  direction: Direction,
  ageRange: AgeRange,
  totalHours: z.number().int().positive(),
  weeklyHours: z.number().int().positive(),
  pricePerHour: MinorUnits.describe("Price of one lesson hour, minor units"),
  currency: Currency,
  fundingKind: FundingKind,
  certification: Certification.nullable(),
};

export const ProgramPublished = defineEvent(Topics.catalogue, "catalogue.program.published", 1, z.object(ProgramSnapshot));
export const ProgramUpdated = defineEvent(Topics.catalogue, "catalogue.program.updated", 1, z.object(ProgramSnapshot));
export const ProgramWithdrawn = defineEvent(Topics.catalogue, "catalogue.program.withdrawn", 1, z.object({ programId: Uuid, providerId: Uuid }));

const GroupSnapshot = {
  groupId: Uuid,
  programId: Uuid,
  providerId: Uuid,
  capacity: z.number().int().positive(),
  schedule: Schedule,
  startsOn: LocalDate,
  endsOn: LocalDate,
  exceptions: z.array(ScheduleException),
  direction: Direction,
  ageRange: AgeRange,
  pricePerHour: MinorUnits,
  currency: Currency,
  fundingKind: FundingKind,
  /** Null unless financed; past it the group takes no applications. */
  certificationExpiresOn: LocalDate.nullable(),
  /** False while the provider is suspended: the group takes no applications. */
  acceptingApplications: z.boolean(),
};

export const GroupOpened = defineEvent(Topics.catalogue, "catalogue.group.opened", 1, z.object(GroupSnapshot));
export const GroupUpdated = defineEvent(
  Topics.catalogue,
  "catalogue.group.updated",
  1,
  z.object({
    ...GroupSnapshot,
    reason: z.enum(["edited", "program_updated", "provider_suspended", "provider_reinstated"]),
  }),
);
export const GroupClosed = defineEvent(
  Topics.catalogue,
  "catalogue.group.closed",
  1,
  z.object({ groupId: Uuid, programId: Uuid, providerId: Uuid, reason: z.enum(["closed", "program_withdrawn"]) }),
);

/**
 * A financed program's certification runs out on `expiresOn` (its last day, the municipality's
 * zone): its provider is warned `daysLeft` days before (30), so that it renews in time. From the
 * day after, its groups take no certificate applications and no contracts.
 */
export const CertificationExpiring = defineEvent(
  Topics.catalogue,
  "catalogue.program.certification-expiring",
  1,
  z.object({ programId: Uuid, providerId: Uuid, expiresOn: LocalDate, daysLeft: z.number().int().nonnegative() }),
);

export const catalogueEvents = [ProgramPublished, ProgramUpdated, ProgramWithdrawn, GroupOpened, GroupUpdated, GroupClosed, CertificationExpiring] as const;
