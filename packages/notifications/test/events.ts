import { randomUUID } from "node:crypto";
import {
  NotificationApplicationRefused,
  NotificationApplicationRefusedV1,
  NotificationCampaignResult,
  NotificationCategoryEnding,
  NotificationCertificateEnding,
  NotificationEnrollmentEnded,
  NotificationOfferExpiring,
  NotificationOfferMade,
  NotificationPositionApproaching,
  NotificationSeatPassedWhileFinancing,
  type Currency,
} from "@kruzhok/contracts";
import { newEvent } from "@kruzhok/messaging";

/** Notification events as the enrollment core would write them, each with fresh ids. */

export const at = new Date("2026-09-04T03:30:00Z");

export function addressee(overrides: { currency?: Currency; locale?: "ru" | "kk" | null; timeZone?: string } = {}) {
  return {
    guardianId: randomUUID(),
    childId: randomUUID(),
    locale: overrides.locale ?? null,
    currency: overrides.currency ?? "RUB",
    timeZone: overrides.timeZone ?? "Asia/Kamchatka",
  };
}

const placement = () => ({ applicationId: randomUUID(), groupId: randomUUID(), programId: randomUUID(), programTitle: "Робототехника для начинающих" });

export function offerMade(options: Parameters<typeof addressee>[0] & { deadline?: string } = {}) {
  const who = addressee(options);
  return newEvent(
    NotificationOfferMade,
    { municipalityId: randomUUID(), aggregateId: who.guardianId },
    { ...who, ...placement(), offerId: randomUUID(), deadline: options.deadline ?? "2026-09-07T11:59:59.999Z" },
    at,
  );
}

export function offerExpiring(options: Parameters<typeof addressee>[0] = {}) {
  const who = addressee(options);
  return newEvent(
    NotificationOfferExpiring,
    { municipalityId: randomUUID(), aggregateId: who.guardianId },
    { ...who, ...placement(), offerId: randomUUID(), deadline: "2026-09-07T11:59:59.999Z" },
    at,
  );
}

export function positionApproaching(options: Parameters<typeof addressee>[0] = {}) {
  const who = addressee(options);
  return newEvent(
    NotificationPositionApproaching,
    { municipalityId: randomUUID(), aggregateId: who.guardianId },
    { ...who, ...placement(), position: 3, threshold: 5 },
    at,
  );
}

export function applicationRefused(options: Parameters<typeof addressee>[0] & { reason?: string; explained?: boolean } = {}) {
  const who = addressee(options);
  return newEvent(
    NotificationApplicationRefused,
    { municipalityId: randomUUID(), aggregateId: who.guardianId },
    { ...who, ...placement(), reason: options.reason ?? "ENROLLMENT.REJECTED_BY_PROVIDER", explained: options.explained ?? false },
    at,
  );
}

/** Version 1, with the provider's words, as what is still on the topic carries them. */
export function applicationRefusedV1(options: Parameters<typeof addressee>[0] & { comment?: string | null } = {}) {
  const who = addressee(options);
  return newEvent(
    NotificationApplicationRefusedV1,
    { municipalityId: randomUUID(), aggregateId: who.guardianId },
    { ...who, ...placement(), reason: "ENROLLMENT.REJECTED_BY_PROVIDER", comment: options.comment ?? null },
    at,
  );
}

export function enrollmentEnded(options: Parameters<typeof addressee>[0] & { reason?: "completed" | "withdrawn" | "expelled" } = {}) {
  const who = addressee(options);
  return newEvent(
    NotificationEnrollmentEnded,
    { municipalityId: randomUUID(), aggregateId: who.guardianId },
    {
      ...who,
      enrollmentId: randomUUID(),
      groupId: randomUUID(),
      programId: randomUUID(),
      programTitle: "Робототехника для начинающих",
      reason: options.reason ?? "completed",
      endedOn: "2027-05-31",
    },
    at,
  );
}

export function campaignResult(options: Parameters<typeof addressee>[0] & { outcome?: "admitted" | "waitlisted" } = {}) {
  const who = addressee(options);
  const admitted = (options.outcome ?? "admitted") === "admitted";
  return newEvent(
    NotificationCampaignResult,
    { municipalityId: randomUUID(), aggregateId: who.guardianId },
    {
      ...who,
      campaignId: randomUUID(),
      campaignName: "Осенний набор",
      outcome: admitted ? "admitted" : "waitlisted",
      groupId: admitted ? randomUUID() : null,
      programId: admitted ? randomUUID() : null,
      programTitle: admitted ? "Робототехника для начинающих" : null,
      choiceRank: admitted ? 2 : null,
      lotteryRank: 17,
      queues: admitted ? 0 : 3,
    },
    at,
  );
}

/** As the registry writes it: a verified category's last day is near. */
export function categoryEnding(options: Parameters<typeof addressee>[0] & { code?: string } = {}) {
  const who = addressee(options);
  return newEvent(
    NotificationCategoryEnding,
    { municipalityId: randomUUID(), aggregateId: who.guardianId },
    { ...who, code: options.code ?? "low_income", validUntil: "2026-10-04", daysLeft: 30 },
    at,
  );
}

/** As the registry writes it: the child turns 18 in a month and the certificate closes that day. */
export function certificateEnding(options: Parameters<typeof addressee>[0] = {}) {
  const who = addressee(options);
  return newEvent(
    NotificationCertificateEnding,
    { municipalityId: randomUUID(), aggregateId: who.guardianId },
    { ...who, certificateId: randomUUID(), endsOn: "2026-10-04", daysLeft: 30 },
    at,
  );
}

/** A seat went to the next child while this one's certificate waits for financing. */
export function seatPassed(options: Parameters<typeof addressee>[0] = {}) {
  const who = addressee(options);
  return newEvent(NotificationSeatPassedWhileFinancing, { municipalityId: randomUUID(), aggregateId: who.guardianId }, { ...who, ...placement() }, at);
}
