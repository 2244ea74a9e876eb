import { z } from "zod";
import { CategoryCode, Currency, Deadlines, MinorUnits, TimeZone } from "@kruzhok/contracts";

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
  name: z.string().trim().min(2).max(200),
  regionCode: z.string().trim().min(1).max(20),
  timeZone: TimeZone,
  currency: Currency,
});

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
});

export const YearSettingsView = YearSettingsBody.extend({
  municipalityId: z.uuid(),
  year: z.number().int(),
  currency: Currency,
  financedCount: z.number().int(),
});
