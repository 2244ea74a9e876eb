import { z } from "zod";
import { LocalDate, LocalMonth, MinorUnits } from "@kruzhok/contracts";

// HTTP bodies and answers of payments. Strict objects: a misspelt field is refused, not ignored.

export const IdParams = z.strictObject({ id: z.uuid() });
export const YearParams = z.strictObject({ id: z.uuid(), year: z.coerce.number().int().min(2000).max(2100) });

/** Amounts: whole, non-negative minor units no larger than 2^53 - 1 (fractions, negatives, NaN and larger numbers are refused). */
export const Amount = MinorUnits;

export const BillingRules = z.strictObject({
  normativePerHour: Amount.describe("What a certificate pays at most for one lesson hour, minor units"),
  coPayment: z.boolean().describe("Whether the family pays the rest of a lesson's price beyond the normative"),
  unexcused: z.enum(["charged", "not_charged"]).describe("Whether unexcused absences are charged as lessons"),
  benefits: z
    .array(z.strictObject({ category: z.string().regex(/^[a-z][a-z0-9_]{1,39}$/), percent: z.union([z.literal(100), z.literal(50), z.literal(30), z.literal(20)]) }))
    .max(12)
    .default([])
    .describe("Benefits that cut the family's part while the child's proof of the category is valid"),
  compensation: z
    .array(z.number().int().min(0).max(1_000))
    .max(10)
    .default([])
    .describe("Compensation for low-income families, thousandths of the fee after benefits, by the child's order: [first, second, third and later]"),
  exemptCategories: z
    .array(z.string().regex(/^[a-z][a-z0-9_]{1,39}$/))
    .max(12)
    .default([])
    .describe("Categories whose families pay nothing for one year from the enrollment (forced to leave Ukraine, the LNR or the DNR)"),
  prorateNominal: z.boolean().default(false).describe("Whether a certificate financed during the year gets the nominal prorated by the months left, the request's month included"),
});

const EffectiveFrom = LocalDate.describe("The local date the rules take effect (in their year, not before today); unset: today, or the year's first day for a year ahead");

export const BillingRulesBody = BillingRules.extend({ effectiveFrom: EffectiveFrom.optional() });

export const BillingRulesOnQuery = z.strictObject({
  on: LocalDate.optional().describe("The local date to read the rules in force on; unset: today (the year's nearest day for another year)"),
});

export const BillingRulesInForce = z.object({
  year: z.number().int(),
  on: LocalDate.describe("The day the rules are in force on"),
  effectiveFrom: LocalDate.nullable().describe("The version's date; null: no version is in force on that day"),
  rules: BillingRules.nullable().describe("null: none in force, the group's price is billed to the certificate"),
});

/** A saved version: the rules at the top level, as the answer was before versions were kept. */
export const BillingRulesSaved = BillingRules.extend({ effectiveFrom: LocalDate, setAt: z.string(), setBy: z.string() });

export const BillingRulesHistory = z.object({
  year: z.number().int(),
  on: LocalDate.describe("The day `current` is in force on: today, or the year's nearest day"),
  current: z.object({ effectiveFrom: LocalDate.nullable().describe("null: no version is in force yet"), rules: BillingRules.nullable() }),
  versions: z
    .array(z.object({ effectiveFrom: LocalDate, rules: BillingRules, setAt: z.string().nullable().describe("null: set before versions were kept"), setBy: z.string(), inForce: z.boolean() }))
    .describe("Every version as set, the latest set first; none is ever overwritten"),
});

export const RegistersQuery = z.strictObject({ municipalityId: z.uuid(), month: LocalMonth.optional(), providerId: z.uuid().optional() });

export const Register = z.object({
  id: z.uuid(),
  municipalityId: z.uuid(),
  providerId: z.uuid(),
  month: z.string(),
  number: z.number().int(),
  currency: z.string(),
  status: z.enum(["formed", "approved", "paid"]),
  formedAt: z.string(),
  approvedAt: z.string().nullable(),
  paidAt: z.string().nullable(),
  paymentOrder: z.string().nullable(),
  advance: z.number().int().describe("Paid ahead on the month; the payment pays the rest"),
  lines: z.number().int(),
  lessons: z.number().int(),
  certificateTotal: z.number().int(),
  familyTotal: z.number().int(),
});

export const RegisterLine = z.object({
  enrollmentId: z.uuid(),
  certificateId: z.uuid().nullable(),
  lessons: z.number().int(),
  certificateAmount: z.number().int(),
  familyAmount: z.number().int(),
});

export const RegisterWithLines = Register.extend({ lineItems: z.array(RegisterLine) });

export const Payment = z.strictObject({ paymentOrder: z.string().trim().min(1).max(100).describe("The payment order's reference") });

export const ExportQuery = z.strictObject({ format: z.enum(["csv", "xlsx", "json"]) });

export const CertificateQuery = z.strictObject({ year: z.coerce.number().int().min(2000).max(2100) });

export const CertificateAccount = z.object({
  certificateId: z.uuid(),
  year: z.number().int(),
  currency: z.string(),
  funded: z.number().int().describe("Credited to the certificate this year"),
  spent: z.number().int().describe("Paid to providers for lessons"),
  returned: z.number().int().describe("Returned to the municipality's budget when the year ended (what the year left unspent)"),
  reserved: z.number().int().describe("Held for enrollments' expected lessons"),
  available: z.number().int(),
  reservations: z.array(z.object({ enrollmentId: z.uuid(), amount: z.number().int(), missing: z.number().int() })),
  movements: z.array(
    z.object({
      at: z.string(),
      kind: z.string(),
      description: z.string().describe("In the reader's language (Accept-Language: ru or kk)"),
      direction: z.enum(["in", "out", "held", "released"]),
      amount: z.number().int(),
    }),
  ),
});

export const AdvanceBody = z.strictObject({ month: LocalMonth, amount: Amount.describe("Minor units, at most what enrollments hold reserved for the provider") }).meta({ examples: [{ month: "2026-11", amount: 1_500_000 }] });

export const CompensationBody = z.strictObject({ childOrder: z.number().int().min(1).max(20).describe("The child's order among the family's children (1 = first)") });
export const CompensationAnswer = z.object({ certificateId: z.uuid(), childOrder: z.number().int() });

export const BudgetQuery = z.strictObject({ year: z.coerce.number().int().min(2000).max(2100) });

export const Budget = z.object({
  municipalityId: z.uuid(),
  year: z.number().int(),
  currency: z.string(),
  budget: z.number().int().describe("The year's budget, minor units"),
  financedCap: z.number().int().describe("The cap on financed certificates"),
  committed: z.number().int().describe("What financed certificates hold from the budget now"),
  financedCertificates: z.number().int(),
  available: z.number().int().describe("The budget less what is committed"),
  reserved: z.number().int().describe("Held on certificates for enrollments' expected lessons"),
  spent: z.number().int().describe("Paid from certificates for delivered lessons"),
  waiting: z
    .array(z.object({ category: z.string().nullable().describe("The children's best category in the municipality's order; null: none listed"), children: z.number().int(), amount: z.number().int() }))
    .describe("The financing waiting list by category, in the municipality's order"),
});

export const ReconciliationsQuery = z.strictObject({ municipalityId: z.uuid() });

export const Reconciliation = z.object({
  registerId: z.uuid(),
  municipalityId: z.uuid(),
  providerId: z.uuid(),
  month: z.string(),
  advance: z.number().int().describe("Paid ahead on the month, minor units"),
  billed: z.number().int().describe("The month's bill on the register"),
  rest: z.number().int().describe("The bill less the advance: what the register's payment transfers"),
  excess: z.number().int().describe("The advance beyond the bill: what the provider owes back"),
  reconciledBy: z.string(),
  reconciledAt: z.string(),
});
