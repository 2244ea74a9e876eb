import {
  NotificationApplicationRefused,
  NotificationEnrollmentEnded,
  NotificationOfferExpiring,
  NotificationOfferMade,
  NotificationPositionApproaching,
  NotificationSeatPassedWhileFinancing,
} from "@kruzhok/contracts";
import { emit, type Cause } from "@kruzhok/messaging";
import type { Queryable } from "@kruzhok/postgres";
import { formatLocalDate, localDateOf } from "@kruzhok/time";
import { findApplication, queueOf, type ApplicationRow } from "../store/applications";
import type { EnrollmentRow } from "../store/enrollments";
import {
  forgetPositionNotices,
  markExpiryNoticed,
  noticedPositions,
  notificationContext,
  offersToWarn,
  recordPositionNotice,
  type NotificationContext,
} from "../store/notifications";
import { positionThresholdOfGroup } from "../store/settings";

// Notifications to families, written to the outbox in the transaction of the change they
// announce. They carry ids and wording facts only: the registry, which alone holds the
// guardians' contacts, delivers them. One event per addressed guardian (aggregateId: the
// guardian), so one family's messages stay in order.

/**
 * Today's values, where a municipality has no version of its own in force (PUT
 * /municipalities/{id}/notice-settings, store/settings.ts).
 */
export const NOTICE_DEFAULTS = {
  /** "Within N of the head": positions 1..N. */
  positionThreshold: 5,
  /** How long before an offer's deadline the reminder goes out. */
  offerExpiringLeadMs: 24 * 60 * 60 * 1000,
};

/** A title the catalogue has not announced yet (its program event is on another partition). */
const UNKNOWN_TITLE = "—";

type Placement = Pick<ApplicationRow, "id" | "childId" | "groupId" | "programId" | "municipalityId">;

/** The addressee and wording facts every notification about an application carries. */
function factsFor(a: Placement, context: NotificationContext, guardianId: string) {
  return {
    guardianId,
    childId: a.childId,
    locale: null,
    currency: context.currency,
    timeZone: context.timeZone,
    applicationId: a.id,
    groupId: a.groupId,
    programId: a.programId,
    programTitle: context.programTitle ?? UNKNOWN_TITLE,
  };
}

/** Guardians to tell about `a` with the facts for each; none when the child has no known guardian. */
async function addressed(tx: Queryable, a: Placement): Promise<{ context: NotificationContext; facts: ReturnType<typeof factsFor> }[]> {
  const context = await notificationContext(tx, a.id);
  return (context?.guardianIds ?? []).map((guardianId) => ({ context: context!, facts: factsFor(a, context!, guardianId) }));
}

const envelopeOf = (cause: Cause, municipalityId: string, guardianId: string) => ({ ...cause, municipalityId, aggregateId: guardianId });

export async function notifyOfferMade(tx: Queryable, a: Placement, offer: { offerId: string; deadline: Date }, now: Date, cause: Cause): Promise<void> {
  for (const { facts } of await addressed(tx, a)) {
    await emit(tx, NotificationOfferMade, envelopeOf(cause, a.municipalityId, facts.guardianId), {
      ...facts,
      offerId: offer.offerId,
      deadline: offer.deadline.toISOString(),
    }, now);
  }
}

export async function notifyApplicationRefused(tx: Queryable, a: Placement, reason: string, comment: string | null, now: Date, cause: Cause): Promise<void> {
  for (const { facts } of await addressed(tx, a)) {
    // The provider's words stay here (the application's refusal detail); the notice says there are some.
    await emit(tx, NotificationApplicationRefused, envelopeOf(cause, a.municipalityId, facts.guardianId), {
      ...facts,
      reason,
      explained: comment !== null && comment.trim() !== "",
    }, now);
  }
}

/**
 * A seat of the group went to the next child while this one's certificate waits for financing:
 * the child keeps its place, and is offered the next free seat once financed.
 */
export async function notifySeatPassedWhileFinancing(tx: Queryable, a: Placement, now: Date, cause: Cause): Promise<void> {
  for (const { facts } of await addressed(tx, a)) {
    await emit(tx, NotificationSeatPassedWhileFinancing, envelopeOf(cause, a.municipalityId, facts.guardianId), facts, now);
  }
}

export async function notifyEnrollmentEnded(tx: Queryable, e: EnrollmentRow, reason: "completed" | "withdrawn" | "expelled", now: Date, cause: Cause): Promise<void> {
  const placement = { id: e.applicationId, childId: e.childId, groupId: e.groupId, programId: e.programId, municipalityId: e.municipalityId };
  for (const { context, facts } of await addressed(tx, placement)) {
    const { applicationId: _application, ...rest } = facts;
    await emit(tx, NotificationEnrollmentEnded, envelopeOf(cause, e.municipalityId, facts.guardianId), {
      ...rest,
      enrollmentId: e.id,
      reason,
      // The day the family lives in: the municipality's.
      endedOn: formatLocalDate(localDateOf(now, context.timeZone)),
    }, now);
  }
}

/**
 * Tell the applications now within `threshold` of the head of the group's queue, once per
 * approach: an application told before is not told again while it stays within; one that fell
 * back beyond (a higher category joined ahead) is told again when it comes back. The threshold is
 * the municipality's version in force at `now`, the moment of telling. The caller holds the
 * group's queue lock.
 */
export async function noticeApproachingPositions(tx: Queryable, groupId: string, now: Date, cause: Cause, given?: number): Promise<number> {
  const threshold = given ?? (await positionThresholdOfGroup(tx, groupId, now)) ?? NOTICE_DEFAULTS.positionThreshold;
  const heads = await queueOf(tx, groupId, threshold);
  await forgetPositionNotices(tx, groupId, heads.map((a) => a.id));
  const told = await noticedPositions(tx, groupId);
  let sent = 0;
  for (const [index, a] of heads.entries()) {
    if (told.has(a.id)) continue;
    const position = index + 1;
    for (const { facts } of await addressed(tx, a)) {
      await emit(tx, NotificationPositionApproaching, envelopeOf(cause, a.municipalityId, facts.guardianId), {
        ...facts,
        position,
        threshold,
      }, now);
    }
    await recordPositionNotice(tx, groupId, a.id, position, now);
    sent++;
  }
  return sent;
}

/** Remind families of the group's offers whose deadline is within `leadMs`; once per offer. */
export async function warnExpiringOffers(tx: Queryable, groupId: string, now: Date, cause: Cause, overrideMs?: number): Promise<number> {
  const offers = await offersToWarn(tx, groupId, now, { overrideMs, defaultMs: NOTICE_DEFAULTS.offerExpiringLeadMs });
  for (const offer of offers) {
    const application = (await findApplication(tx, offer.applicationId))!;
    for (const { facts } of await addressed(tx, application)) {
      await emit(tx, NotificationOfferExpiring, envelopeOf(cause, offer.municipalityId, facts.guardianId), {
        ...facts,
        offerId: offer.offerId,
        deadline: offer.deadlineAt.toISOString(),
      }, now);
    }
    await markExpiryNoticed(tx, offer.offerId, now);
  }
  return offers.length;
}
