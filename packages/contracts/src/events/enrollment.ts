import { z } from "zod";
import { defineEvent } from "../envelope";
import { Currency, Instant, LocalDate, TimeZone, Uuid } from "../primitives";
import { Topics } from "../topics";

/**
 * Enrollment asks the registry to make an `accounting` certificate `financed` when a child is
 * enrolled into a financed program; the registry answers with registry.certificate.financed or
 * registry.certificate.conversion-refused carrying the same requestId.
 */
export const CertificateConversionRequested = defineEvent(
  Topics.enrollment,
  "enrollment.certificate.conversion-requested",
  1,
  z.object({ certificateId: Uuid, requestId: z.string().min(1), year: z.number().int() }),
);

// Seats and review rights in the catalogue follow these two. Ids only: no child's personal data.
const EnrollmentRef = { enrollmentId: Uuid, groupId: Uuid, programId: Uuid, childId: Uuid };

/** A contract was signed and the child now holds a seat in the group. */
export const EnrollmentStarted = defineEvent(Topics.enrollment, "enrollment.enrollment.started", 1, z.object(EnrollmentRef));

/** The child no longer holds the seat: completed the program, withdrawn by the family, or expelled. */
export const EnrollmentEnded = defineEvent(
  Topics.enrollment,
  "enrollment.enrollment.ended",
  1,
  z.object({ ...EnrollmentRef, reason: z.enum(["completed", "withdrawn", "expelled"]) }),
);

export const enrollmentSeatEvents = [EnrollmentStarted, EnrollmentEnded] as const;

// --- Applications, queues, offers and contracts ----------------------------------------------
// Ids, codes and instants only: no child's personal data. `aggregateId` is the application id
// for application and offer events (so one application's story stays in order on one
// partition), the enrollment id for contract and enrollment events.

const ApplicationRef = { applicationId: Uuid, childId: Uuid, groupId: Uuid, programId: Uuid, providerId: Uuid };

/** @deprecated v1 carried the child's social category; kept so that consumers can read what is still on the topic. */
export const ApplicationSubmittedV1 = defineEvent(
  Topics.enrollment,
  "enrollment.application.submitted",
  1,
  z.object({
    ...ApplicationRef,
    status: z.enum(["awaiting_financing", "queued"]),
    categoryCode: z.string().nullable().describe("The child's best social category by the municipality's order; null for none"),
    categoryRank: z.number().int().nonnegative().describe("0 is the municipality's first category; the number of categories means none"),
    acceptedAt: z.string().describe("ISO 8601 instant with microseconds, UTC"),
    reviewDueAt: Instant.describe("The provider's review deadline: the end of the last working day in the municipality's zone"),
    submittedBy: z.enum(["guardian", "operator"]),
  }),
);

/** @deprecated v2 knew only guardians and operators as submitters; kept so that consumers can read what is still on the topic. */
const ApplicationSubmittedV2Data = z.object({
  ...ApplicationRef,
  status: z.enum(["awaiting_financing", "queued"]),
  acceptedAt: z.string().describe("ISO 8601 instant with microseconds, UTC"),
  reviewDueAt: Instant.describe("The provider's review deadline: the end of the last working day in the municipality's zone"),
  submittedBy: z.enum(["guardian", "operator"]),
});
export const ApplicationSubmittedV2 = defineEvent(Topics.enrollment, "enrollment.application.submitted", 2, ApplicationSubmittedV2Data);

/**
 * The server accepted an application and ranked it in the group's queue. `acceptedAt` is the
 * commit-ordered instant (microseconds) the queue is ordered by, after the category rank (which
 * stays in enrollment: no consumer needs a child's social category);
 * `status` is `awaiting_financing` while the registry is asked to finance an accounting
 * certificate for a financed program (the application holds its place meanwhile).
 */
export const ApplicationSubmitted = defineEvent(
  Topics.enrollment,
  "enrollment.application.submitted",
  3,
  // v2 with the provider as a submitter: a consumer of v2 reads v3 the same way.
  ApplicationSubmittedV2Data.extend({
    submittedBy: z.enum(["guardian", "operator", "provider"]).describe("provider: a family that walked in, enrolled at the provider's desk"),
  }),
);

/** The registry refused to finance the certificate: the application leaves the queue. */
export const ApplicationRefused = defineEvent(
  Topics.enrollment,
  "enrollment.application.refused",
  1,
  z.object({ ...ApplicationRef, reason: z.string().describe("Stable code, e.g. ENROLLMENT.FINANCING_REFUSED"), detail: z.string() }),
);

/** @deprecated v1 carried the provider's words; kept so that consumers can read what is still on the topic. */
export const ApplicationReviewedV1 = defineEvent(
  Topics.enrollment,
  "enrollment.application.reviewed",
  1,
  z.object({ ...ApplicationRef, decision: z.enum(["confirmed", "rejected", "auto_confirmed"]), comment: z.string().nullable() }),
);
/**
 * The provider confirmed or rejected the application, or its review deadline passed
 * (auto_confirmed), or a campaign's draw admitted it (`campaignId`). The provider's words stay in
 * enrollment's database (the family reads them in the application).
 */
export const ApplicationReviewed = defineEvent(
  Topics.enrollment,
  "enrollment.application.reviewed",
  2,
  z.object({ ...ApplicationRef, decision: z.enum(["confirmed", "rejected", "auto_confirmed"]), campaignId: Uuid.nullable() }),
);

/** The financing answer came and the application waits in the queue as any other. */
export const ApplicationFinancingSettled = defineEvent(
  Topics.enrollment,
  "enrollment.application.financing-settled",
  1,
  z.object({ ...ApplicationRef, certificateId: Uuid }),
);

/** The family withdrew the application, or it was cancelled because the certificate closed or moved. */
export const ApplicationWithdrawn = defineEvent(
  Topics.enrollment,
  "enrollment.application.withdrawn",
  1,
  z.object({ ...ApplicationRef, reason: z.enum(["family", "certificate_closed", "certificate_moved", "group_closed"]) }),
);

/** @deprecated v1 carried the child's social categories; kept so that consumers can read what is still on the topic. */
export const ApplicationRerankedV1 = defineEvent(
  Topics.enrollment,
  "enrollment.application.reranked",
  1,
  z.object({
    ...ApplicationRef,
    fromCategoryCode: z.string().nullable(),
    toCategoryCode: z.string().nullable(),
    categoryRank: z.number().int().nonnegative(),
  }),
);
/** The child's best category changed (a new proof, an expired one): its place in the queue moved. Which category stays in enrollment. */
export const ApplicationReranked = defineEvent(Topics.enrollment, "enrollment.application.reranked", 2, z.object(ApplicationRef));

/** A free seat was offered to the head of the queue until `deadline`. */
export const OfferMade = defineEvent(
  Topics.enrollment,
  "enrollment.offer.made",
  1,
  z.object({ ...ApplicationRef, offerId: Uuid, deadline: Instant.describe("End of the last local day to accept, municipality's zone") }),
);

/** The offer lapsed: declined by the family or expired at its deadline; the seat passes on. */
export const OfferLapsed = defineEvent(
  Topics.enrollment,
  "enrollment.offer.lapsed",
  1,
  z.object({ ...ApplicationRef, offerId: Uuid, reason: z.enum(["declined", "expired"]) }),
);

/** The offer was accepted: a contract signed electronically by a guardian or in person at the office. */
export const ContractSigned = defineEvent(
  Topics.enrollment,
  "enrollment.contract.signed",
  1,
  z.object({
    ...ApplicationRef,
    offerId: Uuid,
    contractId: Uuid,
    enrollmentId: Uuid,
    method: z.enum(["electronic", "in_person"]),
    signedBy: z.string().describe("Subject of the signer's account (guardian) or of the operator who recorded the signature"),
    signedAt: Instant,
  }),
);

// --- Allocation campaigns -------------------------------------------------------------------
// `aggregateId` is the campaign id. The three steps of the draw's protocol are public: the seed's
// commitment when the campaign is announced, the digest of the frozen inputs at the close, the
// seed itself with the draw. Counts only: a family's result is read through the API.

const CampaignRef = { campaignId: Uuid };

/** A municipality announced a campaign window; the lottery seed is fixed now and only its SHA-256 is published. */
export const CampaignAnnounced = defineEvent(
  Topics.enrollment,
  "enrollment.campaign.announced",
  1,
  z.object({
    ...CampaignRef,
    groupIds: z.array(Uuid).min(1),
    maxChoices: z.number().int().min(1).describe("K: how many ranked choices a family may submit"),
    opensAt: Instant,
    closesAt: Instant,
    seedCommitment: z.string().regex(/^[0-9a-f]{64}$/).describe("SHA-256 (hex) of the secret lottery seed"),
    algorithm: z.string().min(1),
  }),
);

/** The window closed: the inputs are frozen and their digest published before the seed is revealed. */
export const CampaignClosed = defineEvent(
  Topics.enrollment,
  "enrollment.campaign.closed",
  1,
  z.object({
    ...CampaignRef,
    inputDigest: z.string().regex(/^[0-9a-f]{64}$/).describe("SHA-256 (hex) of the canonical input (groups with seats, children with ranked choices and priorities)"),
    children: z.number().int().nonnegative(),
    seats: z.number().int().nonnegative(),
  }),
);

/** The draw ran: the seed is revealed; anyone holding the input can re-run it and compare. */
export const CampaignDrawn = defineEvent(
  Topics.enrollment,
  "enrollment.campaign.drawn",
  1,
  z.object({
    ...CampaignRef,
    seed: z.string().regex(/^[0-9a-f]{32,128}$/),
    seedCommitment: z.string().regex(/^[0-9a-f]{64}$/),
    inputDigest: z.string().regex(/^[0-9a-f]{64}$/),
    algorithm: z.string().min(1),
    placed: z.number().int().nonnegative().describe("Children admitted to one of their choices"),
    unplaced: z.number().int().nonnegative().describe("Children who joined the queues of their choices in lottery order"),
  }),
);

export const campaignEvents = [CampaignAnnounced, CampaignClosed, CampaignDrawn] as const;

export const enrollmentEvents = [
  CertificateConversionRequested,
  ApplicationSubmittedV1,
  ApplicationSubmittedV2,
  ApplicationSubmitted,
  ApplicationRefused,
  ApplicationReviewedV1,
  ApplicationReviewed,
  ApplicationFinancingSettled,
  ApplicationWithdrawn,
  ApplicationRerankedV1,
  ApplicationReranked,
  OfferMade,
  OfferLapsed,
  ContractSigned,
  ...campaignEvents,
] as const;

// --- Notifications to families ----------------------------------------------------------------
// On the notifications topic; `aggregateId` is the guardian id, so one family's messages stay in
// order. Ids and the facts a message needs, never a person's name or contact: the delivery
// resolves the guardian's address through its recipient lookup. The program title is public
// catalogue data and travels so that the message can say what it is about.

export const NotificationLocale = z.enum(["ru", "kk"]).describe("Language of a message to a family: Russian or Kazakh");
export type NotificationLocale = z.infer<typeof NotificationLocale>;

const Addressee = {
  guardianId: Uuid,
  childId: Uuid,
  locale: NotificationLocale.nullable().describe("The family's chosen language; null: by the municipality's currency (KZT: Kazakh, else Russian)"),
  currency: Currency.describe("The municipality's currency"),
  timeZone: TimeZone.describe("The municipality's zone: instants are written in its local time"),
};
const NotificationPlacement = { applicationId: Uuid, groupId: Uuid, programId: Uuid, programTitle: z.string().min(1).max(300) };

/** A seat was offered to the child; the family accepts it by `deadline`. */
export const NotificationOfferMade = defineEvent(
  Topics.notifications,
  "enrollment.notification.offer-made",
  1,
  z.object({ ...Addressee, ...NotificationPlacement, offerId: Uuid, deadline: Instant }),
);

/** The offer is about to expire unanswered. */
export const NotificationOfferExpiring = defineEvent(
  Topics.notifications,
  "enrollment.notification.offer-expiring",
  1,
  z.object({ ...Addressee, ...NotificationPlacement, offerId: Uuid, deadline: Instant }),
);

/** The child is within `threshold` places of the head of the group's queue. */
export const NotificationPositionApproaching = defineEvent(
  Topics.notifications,
  "enrollment.notification.position-approaching",
  1,
  z.object({
    ...Addressee,
    ...NotificationPlacement,
    position: z.number().int().positive().describe("1 is the head of the queue"),
    threshold: z.number().int().positive().describe("The N of 'within N of the head' that triggered this"),
  }),
);

/** @deprecated v1 carried the provider's words; kept so that what is still on the topic is delivered. */
export const NotificationApplicationRefusedV1 = defineEvent(
  Topics.notifications,
  "enrollment.notification.application-refused",
  1,
  z.object({
    ...Addressee,
    ...NotificationPlacement,
    reason: z.string().min(1).describe("Stable code, e.g. ENROLLMENT.FINANCING_REFUSED or ENROLLMENT.REJECTED_BY_PROVIDER"),
    comment: z.string().max(2000).nullable().describe("The provider's words, when it gave any"),
  }),
);

/**
 * The application was refused after it was submitted (the registry, the provider, a rule). The
 * provider's words stay in enrollment: the notice says whether there are any, and the family
 * reads them in its application.
 */
export const NotificationApplicationRefused = defineEvent(
  Topics.notifications,
  "enrollment.notification.application-refused",
  2,
  z.object({
    ...Addressee,
    ...NotificationPlacement,
    reason: z.string().min(1).describe("Stable code, e.g. ENROLLMENT.FINANCING_REFUSED or ENROLLMENT.REJECTED_BY_PROVIDER"),
    explained: z.boolean().describe("The provider wrote why: the family reads it in the application (GET /applications/{id}, refusal.detail)"),
  }),
);

/** The child's enrollment ended: completed, withdrawn by the family or expelled by the provider. */
export const NotificationEnrollmentEnded = defineEvent(
  Topics.notifications,
  "enrollment.notification.enrollment-ended",
  1,
  z.object({
    ...Addressee,
    enrollmentId: Uuid,
    groupId: Uuid,
    programId: Uuid,
    programTitle: z.string().min(1).max(300),
    reason: z.enum(["completed", "withdrawn", "expelled"]),
    endedOn: LocalDate,
  }),
);

/**
 * The family's result of an allocation campaign's draw: admitted to one of its choices (an offer
 * follows, with its own notice), or waiting in the queues of its choices. The reasons, choice by
 * choice, are in the API (`GET /campaigns/{id}/children/{childId}`).
 */
export const NotificationCampaignResult = defineEvent(
  Topics.notifications,
  "enrollment.notification.campaign-result",
  1,
  z.object({
    ...Addressee,
    campaignId: Uuid,
    campaignName: z.string().min(1).max(200),
    outcome: z.enum(["admitted", "waitlisted"]),
    groupId: Uuid.nullable().describe("The group won; null when waitlisted"),
    programId: Uuid.nullable(),
    programTitle: z.string().min(1).max(300).nullable(),
    choiceRank: z.number().int().positive().nullable().describe("1 when the family's first choice was won"),
    lotteryRank: z.number().int().positive(),
    queues: z.number().int().nonnegative().describe("How many of its choices' queues the child joined (waitlisted)"),
  }),
);

/**
 * A seat of the group went to the next child while this child's certificate waits for
 * financing (the municipality's budget or cap is taken): the child keeps its place in the queue,
 * and is offered the next free seat once the certificate is financed. Told once per application.
 */
export const NotificationSeatPassedWhileFinancing = defineEvent(
  Topics.notifications,
  "enrollment.notification.seat-passed-while-financing",
  1,
  z.object({ ...Addressee, ...NotificationPlacement }),
);

/**
 * Published by the registry: a verified category of the child ends on `validUntil` (its last day),
 * told `daysLeft` days before, so that the family brings a new proof in time. Which category is
 * named by code; the family's own record (GET /children/{id}) has its proof.
 */
export const NotificationCategoryEnding = defineEvent(
  Topics.notifications,
  "registry.notification.category-ending",
  1,
  z.object({
    ...Addressee,
    code: z.string().min(1).max(40).describe("The category, as the municipality lists it"),
    validUntil: LocalDate.describe("The last day the category holds"),
    daysLeft: z.number().int().nonnegative(),
  }),
);

/**
 * Published by the registry: the child turns 18 on `endsOn`, and the certificate closes that day
 * (the municipality's zone), told a month before so that the family plans the rest of the year.
 */
export const NotificationCertificateEnding = defineEvent(
  Topics.notifications,
  "registry.notification.certificate-ending",
  1,
  z.object({
    ...Addressee,
    certificateId: Uuid,
    endsOn: LocalDate.describe("The child's 18th birthday: the certificate's first day closed"),
    daysLeft: z.number().int().nonnegative(),
  }),
);

export const notificationEvents = [
  NotificationOfferMade,
  NotificationOfferExpiring,
  NotificationPositionApproaching,
  NotificationApplicationRefusedV1,
  NotificationApplicationRefused,
  NotificationEnrollmentEnded,
  NotificationCampaignResult,
  NotificationSeatPassedWhileFinancing,
  NotificationCategoryEnding,
  NotificationCertificateEnding,
] as const;
