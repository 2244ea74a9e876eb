import { z } from "zod";
import { AbsenceReason, LessonKind, LocalDate, LocalMonth, LocalTime, MarkStatus, SignalKind, SignalOutcome } from "@kruzhok/contracts";

// HTTP bodies of attendance. Strict objects: a misspelt field is refused, not ignored.

export const IdParams = z.strictObject({ id: z.uuid() });

/** A lesson in a path: its local date and start, `2026-09-15T15:00`. */
export const LessonParams = z.strictObject({
  id: z.uuid(),
  lesson: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d$/, "must be the lesson's local date and start, YYYY-MM-DDTHH:MM")
    .refine((value) => LocalDate.safeParse(value.slice(0, 10)).success, "must be a real date")
    .describe("The lesson's local date and start time, e.g. 2026-09-15T15:00"),
});

export const MonthParams = z.strictObject({ id: z.uuid(), month: LocalMonth });
export const YearParams = z.strictObject({ id: z.uuid(), year: z.coerce.number().int().min(2000).max(2100) });
export const MonthQuery = z.strictObject({ month: LocalMonth });

const Marks = z
  .array(z.strictObject({ childId: z.uuid(), status: MarkStatus }))
  .min(1, "mark at least one child")
  .max(100)
  .describe("Every child of the lesson, present or absent");

export const LessonBody = z.strictObject({
  end: LocalTime.optional().describe("Only for a lesson outside the schedule: when it ended (default: 45 minutes after the start)"),
  marks: Marks,
});

export const SheetBody = z.strictObject({
  lessons: z
    .array(z.strictObject({ date: LocalDate, start: LocalTime, end: LocalTime.optional(), marks: Marks }))
    .min(1)
    .max(200)
    .describe("The month's lessons with their marks"),
});

export const MarkedLesson = z.object({ lessonId: z.uuid(), date: z.string(), start: z.string(), end: z.string(), onSchedule: z.boolean(), changed: z.number() });

export const DayOffBody = z.strictObject({ date: LocalDate, kind: z.enum(["cancelled", "closure"]) });
export const KindBody = z.strictObject({ kind: LessonKind });

export const NoticeBody = z.strictObject({
  childId: z.uuid().nullable().default(null).describe("The child; null for a group's quarantine or repairs"),
  groupId: z.uuid().nullable().default(null).describe("The group: for a quarantine or repairs, and when a provider notifies on the guardian's statement"),
  reason: AbsenceReason,
  from: LocalDate.describe("First day of absence (local)"),
  to: LocalDate.describe("Last day of absence (local)"),
}).meta({ examples: [{ childId: "0195f0a0-0000-7000-8000-0000000000c1", groupId: null, reason: "illness", from: "2026-11-09", to: "2026-11-13" }] });

export const Notice = z.object({
  id: z.uuid(),
  childId: z.uuid().nullable(),
  groupId: z.uuid().nullable(),
  reason: AbsenceReason,
  from: z.string(),
  to: z.string(),
  receivedAt: z.string(),
  onTime: z.boolean(),
  proofDueOn: z.string().nullable(),
  proofAt: z.string().nullable(),
});

export const ProofBody = z.strictObject({ reference: z.string().trim().min(1).max(200).describe("The document's number or reference") });

export const ReviewBody = z.strictObject({
  marks: z
    .array(
      z.strictObject({
        lessonId: z.uuid(),
        decision: z.enum(["confirm", "dispute", "resolve"]).describe("Guardians confirm or dispute; operators resolve"),
        status: MarkStatus.optional().describe("An operator's resolution: what the mark is"),
        note: z.string().trim().max(500).optional(),
      }),
    )
    .min(1)
    .max(100),
});

export const MarkView = z.object({
  lessonId: z.uuid(),
  groupId: z.uuid(),
  childId: z.uuid(),
  enrollmentId: z.uuid(),
  date: z.string(),
  start: z.string(),
  startsAt: z.string(),
  endsAt: z.string(),
  status: MarkStatus,
  review: z.string(),
  markedAt: z.string(),
});

export const GroupMonth = z.object({
  groupId: z.uuid(),
  month: z.string(),
  closed: z.boolean(),
  lessons: z.array(z.object({ date: z.string(), start: z.string(), end: z.string(), roster: z.array(z.uuid()) })),
  marks: z.array(MarkView),
});

export const Change = z.object({
  childId: z.uuid(),
  oldStatus: MarkStatus.nullable(),
  newStatus: MarkStatus,
  oldReview: z.string().nullable(),
  newReview: z.string(),
  changedBy: z.string(),
  role: z.string(),
  changedAt: z.string(),
  note: z.string().nullable(),
});

export const Rules = z.strictObject({
  holidays: z.array(LocalDate).max(60),
  closingWorkingDay: z.number().int().min(1).max(15),
  confirmationRequired: z.boolean(),
  noticeDeadline: LocalTime,
  proofWindowDays: z.number().int().min(0).max(90),
  vacationDaysCap: z.number().int().min(0).max(366),
  maxGroupsPerWeek: z.number().int().min(1).max(50),
  lateEntryDays: z.number().int().min(1).max(90),
  bulkLateMarks: z.number().int().min(1).max(10_000),
});

export const RulesBody = Rules.extend({
  effectiveFrom: LocalDate.optional().describe("The local date the rules take effect (in their year, not before today); unset: today, or the year's first day for a year ahead"),
});

export const RulesOnQuery = z.strictObject({
  on: LocalDate.optional().describe("The local date to read the rules in force on; unset: today (the year's nearest day for another year)"),
});

export const RulesVersion = z.object({
  effectiveFrom: LocalDate,
  rules: Rules,
  setAt: z.string(),
  setBy: z.string(),
});

export const RulesHistory = z.object({
  year: z.number().int(),
  on: LocalDate.describe("The day `current` is in force on: today, or the year's nearest day"),
  current: z.object({ effectiveFrom: LocalDate.nullable().describe("null: no version is in force yet, the defaults apply"), rules: Rules }),
  defaults: Rules.describe("The seed rules, in force before the first version takes effect"),
  versions: z.array(RulesVersion.extend({ inForce: z.boolean() })).describe("Every version as set, the latest set first; none is ever overwritten"),
});

export const DisputesQuery = z.strictObject({
  month: LocalMonth.optional().describe("The month of the disputed lessons; every month when absent"),
  limit: z.coerce.number().int().min(1).max(500).default(200),
});

export const Dispute = z.object({
  lessonId: z.uuid(),
  childId: z.uuid(),
  groupId: z.uuid(),
  providerId: z.uuid(),
  date: LocalDate,
  start: z.string(),
  startsAt: z.string(),
  status: MarkStatus.describe("The mark as it stands: the family says it is wrong"),
  disputedAt: z.string().nullable(),
  note: z.string().nullable().describe("The family's note with its dispute, if any"),
});

export const SignalsQuery = z.strictObject({
  kind: SignalKind.optional(),
  state: z.enum(["open", "resolved"]).optional().describe("open: not resolved yet; resolved: resolved; both when absent"),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const SignalParams = z.strictObject({ id: z.uuid(), signalId: z.uuid() });

export const SignalResolution = z.strictObject({
  outcome: SignalOutcome,
  reason: z.string().trim().min(3).max(2000).describe("Why: what the evidence showed (kept in attendance, not published)"),
});

export const Signal = z.object({
  id: z.uuid(),
  kind: SignalKind,
  childId: z.uuid().nullable(),
  groupIds: z.array(z.uuid()),
  providerIds: z.array(z.uuid()),
  lessonIds: z.array(z.uuid()),
  evidence: z.record(z.string(), z.unknown()),
  raisedAt: z.string(),
  resolution: SignalOutcome.nullable(),
  resolutionReason: z.string().nullable(),
  resolvedAt: z.string().nullable(),
});

export const ProviderSignal = Signal.omit({ providerIds: true, resolutionReason: true }).extend({
  otherProviders: z.number().int().describe("How many other providers the signal names (who they are is theirs)"),
});

export const CloseResult = z.object({ month: z.string(), version: z.number(), closedNow: z.boolean(), enrollments: z.number() });
export const Summaries = z.object({
  month: z.string(),
  status: z.string().nullable(),
  version: z.number(),
  closedAt: z.string().nullable(),
  reopenedAt: z.string().nullable(),
  reopenReason: z.string().nullable().describe("Why the municipality last reopened the month (null: never reopened, or before reasons were kept)"),
  items: z.array(z.record(z.string(), z.unknown())),
});

export const ReopenBody = z
  .strictObject({ reason: z.string().trim().min(3).max(2000).describe("Why the month is reopened: what is to be corrected (kept with the month)") })
  // A client of before sends no body: the reopening is kept without a reason.
  .nullish();
