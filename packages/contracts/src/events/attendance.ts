import { z } from "zod";
import { defineEvent } from "../envelope";
import { Instant, LocalDate, LocalMonth, Uuid } from "../primitives";
import { Topics } from "../topics";

// Attendance events: what was delivered, what is billable, and what looks wrong. Ids, dates and
// counts only: no child's personal data, no staff free text. `aggregateId` is the lesson id for
// marks, the notice id for notices, the enrollment id for month summaries (one enrollment's
// versions stay in order on one partition), the municipality id and month for closes, the
// signal id for signals and their resolutions.

export const LessonKind = z.enum(["class", "day_of_care"]).describe("class: clubs and sections; day_of_care: a kindergarten group's day");
export type LessonKind = z.infer<typeof LessonKind>;

export const MarkStatus = z.enum(["present", "absent"]);
export type MarkStatus = z.infer<typeof MarkStatus>;

export const AbsenceReason = z
  .enum(["illness", "vacation", "quarantine", "repairs", "rehabilitation", "other"])
  .describe("illness/sanatorium (medical certificate), vacation (guardian's statement, capped per year), quarantine or repairs (the organisation's order; the whole group), rehabilitation (medical document), other (never excused)");
export type AbsenceReason = z.infer<typeof AbsenceReason>;

/** The provider marked a lesson (or a lesson of a month's sheet): the marks it wrote, with what each was before. */
export const LessonMarked = defineEvent(
  Topics.attendance,
  "attendance.lesson.marked",
  1,
  z.object({
    lessonId: Uuid,
    groupId: Uuid,
    providerId: Uuid,
    date: LocalDate,
    startsAt: Instant,
    endsAt: Instant,
    kind: LessonKind,
    onSchedule: z.boolean().describe("False when the lesson is not in the group's schedule on that date (a signal is raised)"),
    marks: z.array(z.object({ childId: Uuid, enrollmentId: Uuid, status: MarkStatus, previous: MarkStatus.nullable() })),
  }),
);

/** An absence notice was received (from a guardian, or from the provider on the guardian's written statement). */
export const AbsenceNoticed = defineEvent(
  Topics.attendance,
  "attendance.absence.noticed",
  1,
  z.object({
    noticeId: Uuid,
    childId: Uuid.nullable().describe("Null for a notice that covers a whole group (quarantine, repairs)"),
    groupId: Uuid.nullable(),
    reason: AbsenceReason,
    from: LocalDate,
    to: LocalDate,
    receivedAt: Instant,
    onTime: z.boolean().describe("Received by 09:00 local time (inclusive) on the first day of absence"),
    proofDueOn: LocalDate.nullable().describe("The last local day the proof is accepted; null when the reason needs none"),
  }),
);

/** A guardian confirmed or disputed a mark, or an operator resolved a dispute. */
export const MarkReviewed = defineEvent(
  Topics.attendance,
  "attendance.mark.reviewed",
  1,
  z.object({
    lessonId: Uuid,
    childId: Uuid,
    enrollmentId: Uuid,
    review: z.enum(["confirmed", "disputed", "resolved"]),
    status: MarkStatus.describe("The mark's status after the review"),
  }),
);

export const SignalKind = z
  .enum(["overlapping_lessons", "outside_schedule", "too_many_groups", "all_present_month", "bulk_late_entry"])
  .describe("What looks wrong; none of them blocks marking");
export type SignalKind = z.infer<typeof SignalKind>;

/** Something in the marks looks like fraud or a mistake: raised in the transaction of the mark that causes it. */
export const SignalRaised = defineEvent(
  Topics.attendance,
  "attendance.signal.raised",
  1,
  z.object({
    signalId: Uuid,
    kind: SignalKind,
    childId: Uuid.nullable(),
    groupIds: z.array(Uuid).min(1),
    providerIds: z.array(Uuid).min(1),
    lessonIds: z.array(Uuid),
    evidence: z.record(z.string(), z.unknown()).describe("Ids, instants and counts that show it; no personal data"),
    causedAt: Instant.describe("When the mark that caused it was written"),
  }),
);

export const SignalOutcome = z
  .enum(["confirmed", "dismissed"])
  .describe("confirmed: the municipality found a violation (what follows is decided outside Kruzhok); dismissed: it found none");
export type SignalOutcome = z.infer<typeof SignalOutcome>;

/** The municipality resolved a fraud signal after looking at its evidence (its reason stays in attendance: staff free text). */
export const SignalResolved = defineEvent(
  Topics.attendance,
  "attendance.signal.resolved",
  1,
  z.object({ signalId: Uuid, kind: SignalKind, outcome: SignalOutcome, raisedAt: Instant, resolvedAt: Instant }),
);

const ExcusedByReason = z.object({
  illness: z.number().int().nonnegative(),
  vacation: z.number().int().nonnegative(),
  quarantine: z.number().int().nonnegative(),
  repairs: z.number().int().nonnegative(),
  rehabilitation: z.number().int().nonnegative(),
});

/**
 * One enrollment's month, as payments bills it. Lessons count: `scheduled` = present + absent +
 * unmarked; absent = sum(excused) + unexcused. `billable` is the present lessons neither disputed
 * nor (where the municipality requires confirmation) unconfirmed. A reopened month's new close
 * publishes version n + 1, which supersedes version n.
 */
export const MonthSummarised = defineEvent(
  Topics.attendance,
  "attendance.month.summarised",
  1,
  z.object({
    enrollmentId: Uuid,
    childId: Uuid,
    groupId: Uuid,
    programId: Uuid.nullable(),
    providerId: Uuid,
    month: LocalMonth,
    version: z.number().int().positive(),
    supersedes: z.number().int().positive().nullable().describe("The version this one replaces; null for the first"),
    kind: LessonKind,
    scheduled: z.number().int().nonnegative(),
    present: z.number().int().nonnegative(),
    excused: ExcusedByReason,
    unexcused: z.number().int().nonnegative(),
    unmarked: z.number().int().nonnegative(),
    disputed: z.number().int().nonnegative(),
    unconfirmed: z.number().int().nonnegative(),
    billable: z.number().int().nonnegative(),
    confirmationRequired: z.boolean(),
  }),
);

/** A municipality's month locked: its summaries (version `version`) are on the topic before this. */
export const MonthClosed = defineEvent(
  Topics.attendance,
  "attendance.month.closed",
  1,
  z.object({
    month: LocalMonth,
    version: z.number().int().positive(),
    enrollments: z.number().int().nonnegative(),
    closedBy: z.enum(["schedule", "operator"]),
  }),
);

/** The municipality reopened a closed month for corrections; a new close publishes corrected summaries. */
export const MonthReopened = defineEvent(Topics.attendance, "attendance.month.reopened", 1, z.object({ month: LocalMonth, version: z.number().int().positive() }));

export const attendanceEvents = [LessonMarked, AbsenceNoticed, MarkReviewed, SignalRaised, SignalResolved, MonthSummarised, MonthClosed, MonthReopened] as const;
