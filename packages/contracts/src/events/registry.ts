import { z } from "zod";
import { defineEvent } from "../envelope";
import { Currency, LocalDate, MinorUnits, TimeZone, Uuid } from "../primitives";
import { Topics } from "../topics";

// Registry events carry ids, birth year, age band and category codes: never names or document
// numbers. The one birth date that travels is in certificate issued, because a program's age
// limits are checked on the child's real birth date (enrollment); statistics and payments ignore
// it. Everything else personal stays in the registry's database. Category codes are
// special-category data: they travel only in the events whose consumers rank or pay by them
// (certificate issued, categories changed: enrollment ranks its queues, payments applies benefits).

export const CategoryCode = z
  .string()
  .regex(/^[a-z][a-z0-9_]{1,39}$/, "must be a lower-case code such as large_family")
  .describe("Social category code, as the municipality defines it");

export const AgeBand = z.enum(["5-6", "7-10", "11-14", "15-17"]).describe("Age band at the time of the event");
export type AgeBand = z.infer<typeof AgeBand>;

export const Deadlines = z.object({
  offerAcceptanceDays: z.number().int().min(1).max(60).describe("Calendar days a family has to accept an offer"),
  providerReviewWorkingDays: z.number().int().min(1).max(30).describe("Working days a provider has to review an application"),
  monthCloseDay: z.number().int().min(1).max(28).describe("Day of the next month on which attendance of a month locks"),
});

export const YearSettingsData = z.object({
  year: z.number().int(),
  currency: Currency,
  nominal: MinorUnits.describe("Certificate nominal for the year, minor units"),
  budget: MinorUnits,
  financedCap: z.number().int().nonnegative(),
  childrenPopulation: z.number().int().nonnegative(),
  categories: z.array(z.object({ code: CategoryCode, coefficient: z.number().positive() })).max(12),
  maxOpenApplications: z.number().int().positive(),
  deadlines: Deadlines,
  // Added compatibly (issue #18): absent from events saved before; a consumer reading none takes
  // the settings as in force from the year's first day.
  effectiveFrom: LocalDate.optional().describe("Local date from which these settings are in force; later saved versions with the same date supersede earlier ones"),
});

export const MunicipalityCreated = defineEvent(
  Topics.registry,
  "registry.municipality.created",
  1,
  z.object({ municipalityId: Uuid, code: z.string(), name: z.string(), regionCode: z.string(), timeZone: TimeZone, currency: Currency }),
);

export const MunicipalityYearSet = defineEvent(Topics.registry, "registry.municipality.year-set", 1, YearSettingsData);

const CertificateRef = {
  certificateId: Uuid,
  number: z.string(),
  childId: Uuid,
};

export const CertificateIssued = defineEvent(
  Topics.registry,
  "registry.certificate.issued",
  1,
  z.object({
    ...CertificateRef,
    birthYear: z.number().int(),
    birthDate: LocalDate.optional().describe("For the age limits of programs, checked on the real date; absent in certificates announced before it was added"),
    ageBand: AgeBand,
    categories: z.array(CategoryCode),
    funding: z.literal("accounting"),
    guardianIds: z.array(Uuid),
  }),
);

export const CertificateFinanced = defineEvent(
  Topics.registry,
  "registry.certificate.financed",
  1,
  z.object({
    ...CertificateRef,
    year: z.number().int(),
    nominal: MinorUnits,
    currency: Currency,
    /** The enrollment request this answers, when it answers one. */
    requestId: z.string().nullable(),
  }),
);

export const CertificateConversionRefused = defineEvent(
  Topics.registry,
  "registry.certificate.conversion-refused",
  1,
  z.object({
    ...CertificateRef,
    year: z.number().int(),
    reason: z.enum(["cap_reached", "no_year_settings", "certificate_not_active", "already_financed"]),
    requestId: z.string().nullable(),
  }),
);

// Staff write their reasons in words; events carry a code, the words stay in the registry's
// database (read through its API by those entitled). Version 1 of these events carried the words.

export const CertificateSuspensionCode = z
  .enum(["guardian_request", "documents_check", "decision", "other"])
  .describe("Why a certificate was suspended; the office's words stay in the registry");
export type CertificateSuspensionCode = z.infer<typeof CertificateSuspensionCode>;

/** @deprecated v1 carried the office's words; kept so that consumers can read what is still on the topic. */
export const CertificateSuspendedV1 = defineEvent(
  Topics.registry,
  "registry.certificate.suspended",
  1,
  z.object({ ...CertificateRef, reason: z.string() }),
);
export const CertificateSuspended = defineEvent(
  Topics.registry,
  "registry.certificate.suspended",
  2,
  z.object({ ...CertificateRef, reason: CertificateSuspensionCode }),
);
export const CertificateResumed = defineEvent(Topics.registry, "registry.certificate.resumed", 1, z.object(CertificateRef));
/** @deprecated v1 carried the office's comment; kept so that consumers can read what is still on the topic. */
export const CertificateClosedV1 = defineEvent(
  Topics.registry,
  "registry.certificate.closed",
  1,
  z.object({ ...CertificateRef, reason: z.enum(["turned_18", "left_region", "decision"]), comment: z.string().nullable() }),
);
export const CertificateClosed = defineEvent(
  Topics.registry,
  "registry.certificate.closed",
  2,
  z.object({ ...CertificateRef, reason: z.enum(["turned_18", "left_region", "decision"]) }),
);
export const CertificateMoved = defineEvent(
  Topics.registry,
  "registry.certificate.moved",
  1,
  z.object({ ...CertificateRef, fromMunicipalityId: Uuid, toMunicipalityId: Uuid, funding: z.enum(["accounting", "financed"]) }),
);

export const ChildCategoriesChanged = defineEvent(
  Topics.registry,
  "registry.child.categories-changed",
  1,
  z.object({
    childId: Uuid,
    certificateId: Uuid.nullable(),
    categories: z.array(z.object({ code: CategoryCode, validFrom: LocalDate, validUntil: LocalDate })),
  }),
);

/**
 * A verified category's last day has passed in the municipality's zone: it no longer ranks the
 * child's applications nor grants benefits. Consumers that keep validity dates already stop on
 * the day; this is the moment to re-rank and to stop counting it.
 */
export const ChildCategoryExpired = defineEvent(
  Topics.registry,
  "registry.child.category-expired",
  1,
  z.object({ childId: Uuid, certificateId: Uuid.nullable(), code: CategoryCode, validUntil: LocalDate.describe("The last day it held") }),
);

/**
 * A child's guardians changed (an operator merged a duplicate record into this child, bringing
 * its guardians; a co-guardian was confirmed or removed): the whole list, so that a consumer
 * replaces what it holds.
 */
export const ChildGuardiansChanged = defineEvent(
  Topics.registry,
  "registry.child.guardians-changed",
  1,
  z.object({ childId: Uuid, certificateId: Uuid.nullable(), guardianIds: z.array(Uuid).min(1) }),
);

export const ProviderKind = z.enum(["municipal", "state", "private", "entrepreneur"]);
const ProviderRef = { providerId: Uuid, kind: ProviderKind, name: z.string() };

export const ProviderApplied = defineEvent(Topics.registry, "registry.provider.applied", 1, z.object(ProviderRef));
export const ProviderApproved = defineEvent(Topics.registry, "registry.provider.approved", 1, z.object(ProviderRef));
export const ProviderRejectionCode = z
  .enum(["checks_failed", "documents_incomplete", "licence_invalid", "other"])
  .describe("Why the region rejected a provider's application; its words stay in the registry");
export type ProviderRejectionCode = z.infer<typeof ProviderRejectionCode>;
export const ProviderSuspensionCode = z
  .enum(["complaint", "safety", "licence_revoked", "other"])
  .describe("Why the region suspended a provider; its words stay in the registry");
export type ProviderSuspensionCode = z.infer<typeof ProviderSuspensionCode>;

/** @deprecated v1 carried the region's words; kept so that consumers can read what is still on the topic. */
export const ProviderRejectedV1 = defineEvent(
  Topics.registry,
  "registry.provider.rejected",
  1,
  z.object({ ...ProviderRef, reasons: z.array(z.string()).min(1) }),
);
export const ProviderRejected = defineEvent(Topics.registry, "registry.provider.rejected", 2, z.object({ ...ProviderRef, reason: ProviderRejectionCode }));
/** @deprecated v1 carried the region's words; kept so that consumers can read what is still on the topic. */
export const ProviderSuspendedV1 = defineEvent(
  Topics.registry,
  "registry.provider.suspended",
  1,
  z.object({ ...ProviderRef, reason: z.string() }),
);
export const ProviderSuspended = defineEvent(Topics.registry, "registry.provider.suspended", 2, z.object({ ...ProviderRef, reason: ProviderSuspensionCode }));

export const registryEvents = [
  MunicipalityCreated,
  MunicipalityYearSet,
  CertificateIssued,
  CertificateFinanced,
  CertificateConversionRefused,
  CertificateSuspendedV1,
  CertificateSuspended,
  CertificateResumed,
  CertificateClosedV1,
  CertificateClosed,
  CertificateMoved,
  ChildCategoriesChanged,
  ChildCategoryExpired,
  ChildGuardiansChanged,
  ProviderApplied,
  ProviderApproved,
  ProviderRejectedV1,
  ProviderRejected,
  ProviderSuspendedV1,
  ProviderSuspended,
] as const;
