import { z } from "zod";
import { LocalDate, StatisticsCell } from "@kruzhok/contracts";

// Query strings of the statistics routes. Strict: a misspelt parameter is refused, not ignored.

export const ScopeQuery = z.strictObject({
  municipalityId: z.uuid().optional().describe("One municipality (its own cells)"),
  regionCode: z.string().trim().min(1).max(20).optional().describe("One region (its municipalities' cells and its own)"),
});

export const CellsQuery = ScopeQuery.extend({
  period: z.enum(["day", "month"]).optional(),
  from: LocalDate.optional().describe("First period start included"),
  to: LocalDate.optional().describe("Last period start included"),
  measure: z.string().trim().min(1).max(60).optional(),
});

export const StreamQuery = ScopeQuery.extend({
  period: z.enum(["day", "month"]).optional(),
  from: LocalDate.optional().describe("Snapshot and changes of periods starting on or after this day"),
});

export const ReportQuery = ScopeQuery.extend({ asOf: LocalDate.describe("The report's date: the month up to this day") });

export const Cells = z.object({ cells: z.array(StatisticsCell) });

export const Report = z.object({
  asOf: LocalDate,
  month: LocalDate,
  scope: z.enum(["municipality", "region"]),
  regionCode: z.string(),
  municipalityId: z.uuid().nullable(),
  indicators: z.array(StatisticsCell),
});
