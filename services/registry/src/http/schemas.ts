import { z } from "zod";
import { CategoryCode, CertificateSuspensionCode, Currency, Deadlines, Instant, LocalDate, MinorUnits, NameText, TimeZone } from "@kruzhok/contracts";

// HTTP bodies of the registry. Strict objects: a misspelt field is refused, not ignored.

export const IdParams = z.strictObject({ id: z.uuid() });

export const Municipality = z.object({
  id: z.uuid(),
  code: z.string(),
  name: z.string(),
  regionCode: z.string(),
  timeZone: TimeZone,
  currency: Currency,
});

export const CreateMunicipality = z.strictObject({
  code: z.string().regex(/^\d{4}$/, "must be 4 digits, the municipality's code in certificate numbers"),
  name: NameText(2, 200),
  regionCode: z.string().trim().min(1).max(20),
  timeZone: TimeZone,
  currency: Currency,
}).meta({ examples: [{ code: "4101", name: "Петропавловск-Камчатский городской округ", regionCode: "41", timeZone: "Asia/Kamchatka", currency: "RUB" }] });

export const YearParams = z.strictObject({
  id: z.uuid(),
  year: z.coerce.number().int().min(2000).max(2200),
});

export const YearSettingsBody = z.strictObject({
  nominal: MinorUnits.describe("Certificate nominal in minor units"),
  budget: MinorUnits,
  financedCap: z.number().int().nonnegative(),
  childrenPopulation: z.number().int().nonnegative().describe("Children aged 5-18 living in the municipality"),
  categories: z
    .array(z.strictObject({ code: CategoryCode, coefficient: z.number().positive().max(10) }))
    .max(12, "at most 12 social categories rank a queue")
    .describe("Social categories in queue order, the first ranking highest, with funding coefficients"),
  maxOpenApplications: z.number().int().min(1).max(50),
  deadlines: Deadlines.strict(),
  effectiveFrom: LocalDate.optional().describe(
    "Local date (in the year, not before today) from which the settings are in force; default today, or 1 January for a year not begun",
  ),
});

export const YearSettingsView = YearSettingsBody.extend({
  municipalityId: z.uuid(),
  year: z.number().int(),
  currency: Currency,
  financedCount: z.number().int(),
  effectiveFrom: LocalDate.describe("The local date this version is in force from"),
});

export const YearSettingsOnQuery = z.strictObject({
  on: LocalDate.optional().describe("The local date to read the settings in force on; unset: today (the year's nearest day for another year)"),
});

export const YearSettingsVersions = z.object({
  year: z.number().int(),
  on: LocalDate.describe("The day `current` is in force on: today, or the year's nearest day"),
  current: YearSettingsView.nullable().describe("null: no version is in force on that day yet"),
  versions: z
    .array(YearSettingsBody.extend({ year: z.number().int(), effectiveFrom: LocalDate, setAt: Instant, setBy: z.string(), inForce: z.boolean() }))
    .describe("Every version as saved, the last saved first; none is ever overwritten"),
});

// Guardians and children. Personal data: shown to the guardians themselves and to the office of
// their municipality only, never put in an event.

const Name = NameText(1, 100);

export const GuardianDocument = z
  .strictObject({ kind: z.enum(["passport", "snils", "iin"]), number: z.string().trim().min(1).max(40) })
  .describe("Identity document; a guardian is matched by its normalised number");

const FamilyLanguage = z
  .enum(["ru", "kk"])
  .describe("The family's language for every message to it: Russian or Kazakh. Unset: Kazakh where the municipality pays in tenge, Russian elsewhere");

export const RegisterGuardian = z.strictObject({
  firstName: Name,
  lastName: Name,
  patronymic: Name.optional(),
  phone: z
    .string()
    .regex(/^\+?\d{10,15}$/, "must be 10 to 15 digits with an optional leading +, such as +79001234567")
    .optional(),
  email: z.email().max(254).optional(),
  document: GuardianDocument,
  municipalityId: z.uuid().describe("Municipality the guardian lives in"),
  language: FamilyLanguage.optional(),
}).meta({ examples: [{ firstName: "Анна", lastName: "Смирнова", phone: "+79001234567", email: "anna@example.org", document: { kind: "passport", number: "45 12 345678" }, municipalityId: "0195f0a0-0000-7000-8000-000000000001" }] });

export const LanguageBody = z.strictObject({ language: FamilyLanguage });

export const Guardian = z.object({
  id: z.uuid(),
  municipalityId: z.uuid(),
  firstName: z.string(),
  lastName: z.string(),
  patronymic: z.string().nullable(),
  phone: z.string().nullable(),
  email: z.string().nullable(),
  document: z.object({ kind: z.string(), number: z.string() }),
  language: FamilyLanguage.nullable(),
});

export const ChildDocument = z
  .strictObject({ kind: z.enum(["birth_certificate", "snils", "iin", "passport"]), number: z.string().trim().min(1).max(40) })
  .describe("Birth certificate (IV-АБ 123456), national id (SNILS and IIN check digits are verified), or from 14 the child's own passport");

const ProofText = (max: number) => z.string().trim().min(1).max(max);

export const CategoryProofBody = z
  .strictObject({
    kind: ProofText(120).describe("What the document is, as it is titled: «справка органа соцзащиты», «удостоверение многодетной семьи», «справка МСЭ»"),
    number: ProofText(60).describe("The document's number"),
    issuer: ProofText(200).describe("Who issued it"),
    issuedOn: LocalDate.describe("The day it was issued: the category holds from it, and its validity counts from it"),
  })
  .describe("The document that proves the category, checked by an operator");

export const CategoryClaimBody = z.strictObject({
  code: CategoryCode,
  proof: CategoryProofBody,
  validUntil: LocalDate.optional().describe(
    "The proof's last day, as written on it; by default and at the latest the longest the category allows from the issue (low income: one year)",
  ),
});

export const CategoryClaims = z
  .array(CategoryClaimBody)
  .max(12)
  .describe(
    "Social categories from the municipality's list for the current year. A guardian's claims wait for an operator's check (categoryClaims); an office's are verified as it records them",
  );

export const RegisterChild = z.strictObject({
  firstName: Name,
  lastName: Name,
  patronymic: Name.optional(),
  birthDate: LocalDate,
  document: ChildDocument,
  guardianIds: z
    .array(z.uuid())
    .min(1)
    .max(4)
    .describe("Registered guardians; a guardian registering must list themselves, and the others they name are invited until they confirm"),
  categories: CategoryClaims.default([]),
}).meta({ examples: [{ firstName: "Мария", lastName: "Смирнова", birthDate: "2016-03-14", document: { kind: "birth_certificate", number: "IV-АБ 123456" }, guardianIds: ["0195f0a0-0000-7000-8000-0000000000a1"], categories: [] }] });

export const ReplaceCategories = z.strictObject({ categories: CategoryClaims });

const CategoryProof = z.object({ kind: z.string(), number: z.string(), issuer: z.string(), issuedOn: LocalDate });

export const CategoryClaimView = z.object({
  id: z.uuid(),
  code: z.string(),
  proof: CategoryProof,
  validFrom: LocalDate,
  validUntil: LocalDate,
  status: z.enum(["pending", "verified", "rejected", "withdrawn"]),
  claimedAt: Instant,
  decidedAt: Instant.nullable(),
  reason: z.string().nullable().describe("Why the office rejected it"),
});

export const Child = z.object({
  id: z.uuid(),
  municipalityId: z.uuid(),
  firstName: z.string(),
  lastName: z.string(),
  patronymic: z.string().nullable(),
  birthDate: LocalDate,
  document: z.object({ kind: z.string(), number: z.string() }),
  guardianIds: z.array(z.uuid()),
  invitedGuardianIds: z
    .array(z.uuid())
    .describe("Named by the guardian who registered the child, not guardians until they (or the office) confirm: POST /children/{id}/guardians/{guardianId}/confirmation"),
  categories: z
    .array(z.object({ code: z.string(), proof: CategoryProof, validFrom: LocalDate, validUntil: LocalDate }))
    .describe("Verified categories: only these rank queues and grant benefits"),
  categoryClaims: z.array(CategoryClaimView).describe("The latest claims, newest first: pending ones wait for an operator, rejected ones say why"),
});

export const ClaimParams = z.strictObject({ id: z.uuid() });

export const ClaimDecisionBody = z.discriminatedUnion("decision", [
  z.strictObject({ decision: z.literal("verify") }),
  z.strictObject({ decision: z.literal("reject"), reason: z.string().trim().min(3).max(1000).describe("Why, in words the family reads: what to bring instead") }),
]);

export const ClaimsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  after: z.uuid().optional().describe("The last claim id of the previous page"),
});

export const WaitingClaimView = CategoryClaimView.extend({
  childId: z.uuid(),
  child: z.object({ firstName: z.string(), lastName: z.string(), patronymic: z.string().nullable(), birthDate: LocalDate }),
});

export const CoGuardianParams = z.strictObject({ id: z.uuid(), guardianId: z.uuid() });

// Certificates.

export const ApplyForCertificate = z.strictObject({ childId: z.uuid() }).meta({ examples: [{ childId: "0195f0a0-0000-7000-8000-0000000000c1" }] });

export const CertificateView = z.object({
  id: z.uuid(),
  number: z.string().describe("Municipality code, serial and check digit: 4101-00000042-4"),
  childId: z.uuid(),
  municipalityId: z.uuid(),
  status: z.enum(["active", "suspended", "closed"]),
  funding: z.enum(["accounting", "financed"]),
  financedYear: z.number().int().nullable(),
  suspendedReason: z.string().nullable(),
  closedReason: z.enum(["turned_18", "left_region", "decision"]).nullable(),
  closedComment: z.string().nullable(),
  issuedAt: Instant,
  updatedAt: Instant,
});

export const HeldApplication = z
  .object({ applicationId: z.uuid(), status: z.literal("held"), reason: z.string() })
  .describe("The application waits for an operator: a child born the same day with a matching name holds a certificate (maybe this child under another document)");

export const CertificateApplication = z.object({
  id: z.uuid(),
  childId: z.uuid(),
  municipalityId: z.uuid(),
  status: z.enum(["held", "approved", "rejected", "merged"]).describe("merged: the office found it the same child as similarChildId"),
  similarChildId: z.uuid().describe("The child who already holds a certificate"),
  reason: z.string(),
  certificateId: z.uuid().nullable(),
  decidedAt: Instant.nullable(),
  decisionComment: z.string().nullable(),
  createdAt: Instant,
});

export const ApplicationQuery = z.strictObject({ status: z.enum(["held", "approved", "rejected", "merged"]).default("held") });

const Comment = z.string().trim().min(1).max(1000);

export const ApplicationDecision = z.discriminatedUnion("decision", [
  z.strictObject({ decision: z.literal("approve"), comment: Comment.optional() }),
  z.strictObject({ decision: z.literal("reject"), comment: Comment.describe("Why, for the family") }),
  z
    .strictObject({ decision: z.literal("merge"), comment: Comment.optional() })
    .describe("The held child is the certified child it resembles: merge the records (its guardians join that child's); no second certificate"),
]);

export const Suspension = z.strictObject({
  reason: z.string().trim().min(3).max(500).describe("The office's words; kept in the registry, never in an event"),
  code: CertificateSuspensionCode.default("other").describe("What the events say of the suspension"),
});

export const Closure = z
  .strictObject({ reason: z.enum(["turned_18", "left_region", "decision"]), comment: Comment.optional() })
  .refine((body) => body.reason !== "decision" || body.comment !== undefined, {
    path: ["comment"],
    message: "a closure by decision needs a comment saying why",
  });

export const Move = z.strictObject({ toMunicipalityId: z.uuid().describe("A municipality of the same region") });

export const FamilyAuditEntry = z.object({
  id: z.uuid(),
  action: z
    .string()
    .describe(
      "guardian.registered, child.registered, child.categories-replaced, child.guardian-confirmed, child.category-verified, child.category-rejected, certificate.applied, certificate.financing-requested",
    ),
  subjectId: z.uuid().describe("The guardian, child, category claim or certificate acted on"),
  by: z.object({ role: z.string(), subject: z.string().describe("The operator's account") }),
  basis: z.object({ kind: z.enum(["in_person_visit", "written_request"]), reference: z.string().nullable() }),
  at: z.string(),
});

export const FamilySearchQuery = z.strictObject({
  name: NameText(2, 200).optional().describe("Words that each begin a word of the child's or a guardian's names: «Петр Ив» finds Петрова Ивана"),
  birthDate: LocalDate.optional(),
  document: z.string().trim().min(4).max(40).optional().describe("A document number of the child or a guardian, of any kind, as typed"),
  certificate: z.string().trim().min(4).max(40).optional().describe("A certificate number"),
});

export const FoundChild = z.object({
  id: z.uuid(),
  firstName: z.string(),
  lastName: z.string(),
  patronymic: z.string().nullable(),
  birthDate: LocalDate,
  document: z.object({ kind: z.string(), number: z.string() }),
  certificate: z.object({ id: z.uuid(), number: z.string(), status: z.string() }).nullable(),
  guardians: z.array(
    z.object({ id: z.uuid(), firstName: z.string(), lastName: z.string(), patronymic: z.string().nullable(), phone: z.string().nullable(), email: z.string().nullable() }),
  ),
});

export const LookupsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  childId: z.uuid().optional().describe("Only the look-ups that showed this child"),
});

export const PersonLookup = z.object({
  id: z.uuid(),
  actorSubject: z.string(),
  actorRole: z.string(),
  basisKind: z.enum(["in_person_visit", "written_request"]).nullable(),
  basisReference: z.string().nullable(),
  kind: z.enum(["search", "child", "guardian", "applicants"]).describe("A search for a family, a read of a child's or a guardian's record, or a provider's read of the children of its groups"),
  criteria: z.record(z.string(), z.unknown()).describe("What was asked: a search's criteria (a document number only as its hashes), or the record's id"),
  childIds: z.array(z.uuid()),
  guardianIds: z.array(z.uuid()),
  at: Instant,
});
