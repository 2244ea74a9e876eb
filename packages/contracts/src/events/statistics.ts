import { z } from "zod";
import { defineEvent } from "../envelope";
import { Instant, LocalDate } from "../primitives";
import { Topics } from "../topics";

// Statistics publishes aggregates only: counts, shares and durations per municipality or region
// and period, with small cells suppressed (value null, `suppressed: true`). No child, guardian,
// certificate or document id travels here, and no cell counting fewer children than the
// service's threshold (10 unless configured) carries its value.

export const StatisticsScope = z.enum(["municipality", "region"]).describe("What the cell counts over: one municipality, or every municipality of a region");
export const StatisticsPeriod = z.enum(["day", "month"]).describe("day: the municipality's local calendar day; month: its local calendar month");

export const StatisticsCell = z.object({
  scope: StatisticsScope,
  municipalityId: z.uuid().nullable().describe("The municipality; null for a region's cell"),
  regionCode: z.string().describe("The region the municipality belongs to"),
  period: StatisticsPeriod,
  start: LocalDate.describe("First day of the period"),
  measure: z
    .string()
    .describe(
      "certificates (stock, by status and ageBand), coverage.certified / coverage.enrolled (children, stock) and their .share (of the year's children 5-18), enrollments (stock, by direction and fundingKind), queue.length (stock), queue.wait.median / queue.wait.p90 (seconds, waits ended in the period), offers (flow, by outcome), providers (stock, by kind and status); attendance.marks (flow, marks by status, on the lesson's day) and attendance.rate (present of all marks); attendance.lessons (a closed month's lessons by outcome: present, excused, unexcused, unmarked; month only); signals (fraud signals raised, flow, by kind), signals.resolved (flow, by outcome) and signals.open (stock); money.committed (minor units committed to certificates, flow) with money.committed.count; financing.queued (certificates waiting for financing, stock); money.reserved (what enrollments' reservations hold on certificates, stock) with money.reserved.count; bills (enrollment-months billed, month only) with money.spent (paid from certificates), money.family (families' parts) and money.benefits (what benefits paid of them), minor units, month only; money.budget (the year's budget, public). An amount is suppressed where its count is",
    ),
  dims: z.record(z.string(), z.string()).describe("The cell's breakdown; `*` is the total over that dimension"),
  value: z.number().nullable().describe("Null when suppressed"),
  suppressed: z.boolean(),
});
export type StatisticsCell = z.infer<typeof StatisticsCell>;

/**
 * Cells whose published value changed (a new value, or suppressed / unsuppressed), as one
 * transaction of the statistics service changed them. `aggregateId` is `region:<code>`, so a
 * region's changes stay in order on one partition; the envelope's municipalityId is the
 * municipality whose event caused the change.
 */
export const StatisticsCellsChanged = defineEvent(
  Topics.statistics,
  "statistics.cells.changed",
  1,
  z.object({
    regionCode: z.string(),
    cells: z.array(StatisticsCell).min(1),
    sources: z
      .object({ from: Instant, to: Instant })
      .describe("When the oldest and the newest source events this change includes were committed (their occurredAt): how fresh the stream is"),
  }),
);

export const statisticsEvents = [StatisticsCellsChanged] as const;
