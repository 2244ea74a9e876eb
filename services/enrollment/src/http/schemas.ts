import { z } from "zod";
import { LocalDate } from "@kruzhok/contracts";

// HTTP bodies and answers of enrollment. Strict objects: a misspelt field is refused, not ignored.

export const IdParams = z.strictObject({ id: z.uuid() });

export const ApplicationBody = z.strictObject({
  childId: z.uuid(),
  groupId: z.uuid(),
}).meta({ examples: [{ childId: "0195f0a0-0000-7000-8000-0000000000c1", groupId: "0195f0a0-0000-7000-8000-0000000000b1" }] });

export const TransferBody = z.strictObject({
  groupId: z.uuid().describe("The group the child moves to; the enrollment continues until the new one starts"),
});

export const ReviewBody = z.strictObject({
  decision: z.enum(["confirmed", "rejected"]),
  comment: z.string().trim().max(1_000).nullable().default(null),
});

export const AcceptanceBody = z
  .strictObject({
    method: z.enum(["electronic", "in_person"]).optional().describe("electronic for a guardian (default), in_person when an operator records a signature on paper"),
    leaveNow: z
      .boolean()
      .optional()
      .describe("A transfer: end the enrollment left now. By default it runs through the day before the new group starts, so the child keeps learning"),
  })
  .default({});

export const EndBody = z.strictObject({
  reason: z.enum(["completed", "withdrawn", "expelled"]).describe("completed: provider or office; withdrawn: the family; expelled: the provider"),
  comment: z
    .string()
    .trim()
    .max(2_000)
    .optional()
    .describe("Why, in words the family reads (required for an expulsion: the family may answer it)"),
});

export const ExpulsionAnswerBody = z.strictObject({
  text: z.string().trim().min(3).max(4_000).describe("The family's answer to the reasons given for the expulsion"),
});

export const ScopeQuery = z.strictObject({
  municipalityId: z.uuid().optional().describe("Region only: one municipality of its region; every one of them by default"),
});

export const QueueQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});

export const Offer = z.object({
  id: z.uuid(),
  applicationId: z.uuid(),
  groupId: z.uuid(),
  status: z.enum(["open", "accepted", "declined", "expired"]),
  madeAt: z.string(),
  deadline: z.string(),
  decidedAt: z.string().nullable(),
});

export const Application = z.object({
  id: z.uuid(),
  municipalityId: z.uuid(),
  childId: z.uuid(),
  groupId: z.uuid(),
  programId: z.uuid(),
  providerId: z.uuid(),
  status: z.enum(["awaiting_financing", "queued", "offered", "enrolled", "refused", "rejected", "withdrawn", "declined", "expired"]),
  review: z.enum(["pending", "confirmed", "rejected", "auto_confirmed"]),
  reviewDueAt: z.string(),
  category: z
    .object({ code: z.string().nullable(), rank: z.number() })
    .nullable()
    .describe("The child's social category and its rank in the queue; null for the provider, who is not told children's categories"),
  acceptedAt: z.string().describe("When the server accepted the application, UTC, to the microsecond"),
  refusal: z.object({ code: z.string(), detail: z.string() }).nullable(),
  submittedBy: z.enum(["guardian", "operator", "provider"]).describe("provider: a family that walked in, enrolled at the provider's desk"),
  transferOf: z.uuid().nullable().describe("A transfer: the enrollment the child leaves when this application's enrollment starts"),
  offers: z.array(Offer),
  enrollment: z
    .object({
      id: z.uuid(),
      status: z.enum(["active", "ended"]),
      leavesOn: LocalDate.nullable(),
      endedAt: z.string().nullable(),
      endReason: z.enum(["completed", "withdrawn", "expelled"]).nullable(),
    })
    .nullable()
    .describe("What became of the enrollment this application led to: still active, leaving on a date for a transfer, or ended and why"),
  createdAt: z.string(),
});

export const Position = z.object({
  applicationId: z.uuid(),
  groupId: z.uuid(),
  position: z.number().describe("1 is the head of the queue"),
  total: z.number(),
  category: z
    .object({ code: z.string().nullable(), rank: z.number().describe("0-based in the municipality's order"), of: z.number() })
    .nullable()
    .describe("null for the provider, who is not told children's categories"),
  aheadWithHigherCategories: z.number(),
  aheadByCategory: z
    .array(z.object({ code: z.string(), ahead: z.number().nullable().describe("null: fewer than QUEUE_SMALL_CELL_THRESHOLD (10), withheld") }))
    .describe("Children ahead per higher category; empty for the provider"),
  aheadInOwnCategoryAppliedEarlier: z.number(),
  inOwnCategory: z.number().nullable().describe("null when withheld (fewer than the threshold), and for the provider"),
  explanation: z.string().describe("The position as a sentence in the reader's language (Accept-Language: ru or kk; Russian when it names neither), categories by their human names"),
  source: z.enum(["redis", "postgres"]).describe("redis normally; postgres when the index was unavailable"),
});

export const QueueEntry = z.object({
  position: z.number(),
  applicationId: z.uuid(),
  childId: z.uuid(),
  status: z.enum(["awaiting_financing", "queued"]),
  review: z.enum(["pending", "confirmed", "rejected", "auto_confirmed"]),
  category: z.object({ code: z.string().nullable(), rank: z.number() }).nullable().describe("null for the provider, who is not told children's categories"),
  acceptedAt: z.string(),
});

export const Enrollment = z.object({
  id: z.uuid(),
  applicationId: z.uuid(),
  groupId: z.uuid(),
  programId: z.uuid(),
  childId: z.uuid(),
  status: z.enum(["active", "ended"]),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  endReason: z.enum(["completed", "withdrawn", "expelled"]).nullable(),
  leavesOn: LocalDate.nullable().describe("A transfer under way: the last day in this group (the day before the new group starts)"),
  leftFor: z.uuid().nullable().describe("The enrollment the child moves to"),
  expulsion: z
    .object({ reason: z.string(), answer: z.object({ text: z.string(), at: z.string() }).nullable() })
    .nullable()
    .describe("When the provider expelled the child: why, in its words, and the family's answer"),
  contract: z.object({
    id: z.uuid(),
    method: z.enum(["electronic", "in_person"]),
    signedBy: z.string(),
    signedRole: z.string(),
    signedAt: z.string(),
    terminatedAt: z.string().nullable(),
  }),
});

export const RebuildResult = z.object({ groups: z.number(), entries: z.number() });
export const CheckResult = z.object({
  groups: z.number(),
  entries: z.number(),
  mismatches: z.array(z.object({ groupId: z.uuid(), postgres: z.number(), redis: z.number(), firstDifference: z.number() })),
});
export const SweepResult = z.object({
  expiredOffers: z.number(),
  autoConfirmed: z.number(),
  completedEnrollments: z.number(),
  drawnCampaigns: z.number(),
  reranked: z.number(),
  leftEnrollments: z.number().describe("Enrollments left for a transfer, ended the day after their last day"),
});

export const FamilyAuditEntry = z.object({
  id: z.uuid(),
  action: z.string().describe("application.submitted, application.withdrawn, offer.accepted, offer.declined, enrollment.withdrawn, enrollment.completed, campaign.choices-submitted, campaign.choices-withdrawn"),
  subjectId: z.uuid().describe("The application, offer, enrollment or campaign acted on"),
  by: z.object({ role: z.string(), subject: z.string().describe("The operator's account") }),
  basis: z.object({ kind: z.enum(["in_person_visit", "written_request"]), reference: z.string().nullable() }),
  at: z.string(),
});

const NoticeValues = {
  positionThreshold: z.number().int().min(1).max(50).describe("A family is told its turn is near within this many places of the head (today's default: 5)"),
  offerReminderHours: z.number().int().min(1).max(168).describe("How long before an offer expires its reminder goes, in hours (default: 24)"),
};

export const NoticeSettingsBody = z.strictObject({
  ...NoticeValues,
  effectiveFrom: LocalDate.optional().describe("The local date the thresholds take effect (not before today); unset: today. The versions before stay and govern the moments before it"),
});

export const NoticeSettingsView = z.object({
  ...NoticeValues,
  effectiveFrom: LocalDate.nullable().describe("The version in force: from when; null when none is yet (the defaults apply)"),
  source: z.enum(["default", "municipality"]).describe("default: no version of the municipality is in force, today's values apply"),
});

const SetBy = { setAt: z.string().describe("When it was set"), setBy: z.string().describe("Who set it (the official's account)") };

export const NoticeSettingsVersion = z.object({ effectiveFrom: LocalDate, ...NoticeValues, ...SetBy });

export const NoticeSettingsHistory = z.object({
  on: LocalDate.describe("Today, in the municipality's zone"),
  current: NoticeSettingsView.describe("The thresholds in force today"),
  defaults: z.object(NoticeValues).describe("Today's values, in force before the first version takes effect"),
  versions: z.array(NoticeSettingsVersion.extend({ inForce: z.boolean() })).describe("Every version as set, the latest set first; none is ever overwritten"),
});

export const OnQuery = z.strictObject({
  on: LocalDate.optional().describe("The local date to read the version in force on; unset: today (for a calendar of another year, the year's nearest day)"),
});

export const CalendarParams = z.strictObject({ id: z.uuid(), year: z.coerce.number().int().min(2000).max(2200) });

export const CalendarBody = z.strictObject({
  daysOff: z.array(LocalDate).max(60).describe("Every day off of the year: the fixed holidays, the decreed transfers, movable feasts such as Kurban Ait"),
  workingDays: z.array(LocalDate).max(20).default([]).describe("Saturdays or Sundays decreed working days"),
  effectiveFrom: LocalDate.optional().describe("The local date the calendar takes effect (in its year, not before today); unset: today, or 1 January for a year ahead. The days before it stay as the version before has them"),
});

const CalendarDays = { daysOff: z.array(LocalDate), workingDays: z.array(LocalDate) };

export const CalendarView = z.object({
  year: z.number(),
  effectiveFrom: LocalDate.nullable().describe("The version in force: from when; null when none is yet (the country's fixed holidays apply)"),
  ...CalendarDays,
  source: z.enum(["default", "municipality"]).describe("default: the country's fixed holidays; municipality: a calendar its official set"),
});

export const CalendarVersion = z.object({ year: z.number(), effectiveFrom: LocalDate, ...CalendarDays, ...SetBy });

export const CalendarHistory = z.object({
  year: z.number(),
  on: LocalDate.describe("Today in the municipality's zone, or the year's nearest day for another year"),
  current: CalendarView.describe("The calendar in force on `on`"),
  defaults: z.object(CalendarDays).describe("The country's fixed holidays, in force before the first version takes effect"),
  versions: z.array(CalendarVersion.omit({ year: true }).extend({ inForce: z.boolean() })).describe("Every version of the year as set, the latest set first; none is ever overwritten"),
});

const ApplicationStatuses = ["awaiting_financing", "queued", "offered", "enrolled", "refused", "rejected", "withdrawn", "declined", "expired"] as const;

export const ProviderApplicationsQuery = z.strictObject({
  groupId: z.uuid().optional(),
  status: z.enum(ApplicationStatuses).optional(),
  cursor: z.uuid().optional().describe("nextCursor of the page before"),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const ProviderApplications = z.object({
  items: z.array(Application),
  nextCursor: z.uuid().nullable(),
});

export const Roster = z.object({
  groupId: z.uuid(),
  enrollments: z.array(Enrollment).describe("Active enrollments in the order they started; the children's names are the registry's (GET /providers/{id}/children there)"),
});

export const WalkInBody = z.strictObject({
  certificateNumber: z.string().trim().min(1).max(40).describe("As printed on the family's certificate"),
  birthDate: LocalDate.describe("The child's, as in the child's document: checked against the certificate's"),
}).meta({ examples: [{ certificateNumber: "4101-00000123-2", birthDate: "2016-03-14" }] });

export const WalkInResult = z.object({
  application: Application,
  enrollment: Enrollment.nullable().describe("null: a seat was not free for the child now; the application waits in the queue and the family is told as any other"),
});
