import type { z } from "zod";
import type { ApplicationRow } from "../store/applications";
import type { EnrollmentRow } from "../store/enrollments";
import type { OfferRow } from "../store/offers";
import type { Application, Enrollment, Offer } from "./schemas";

const iso = (value: Date | string): string => (value instanceof Date ? value.toISOString() : new Date(value).toISOString());

export function offerView(o: OfferRow): z.input<typeof Offer> {
  return {
    id: o.id,
    applicationId: o.applicationId,
    groupId: o.groupId,
    status: o.status,
    madeAt: iso(o.madeAt),
    deadline: iso(o.deadlineAt),
    decidedAt: o.decidedAt ? iso(o.decidedAt) : null,
  };
}

export function applicationView(a: ApplicationRow, offers: readonly OfferRow[]): z.input<typeof Application> {
  return {
    id: a.id,
    municipalityId: a.municipalityId,
    childId: a.childId,
    groupId: a.groupId,
    programId: a.programId,
    providerId: a.providerId,
    status: a.status,
    review: a.review,
    reviewDueAt: iso(a.reviewDueAt),
    category: { code: a.categoryCode, rank: a.categoryRank },
    acceptedAt: a.acceptedAtText,
    refusal: a.refusalCode ? { code: a.refusalCode, detail: a.refusalDetail ?? "" } : null,
    submittedBy: a.submittedRole,
    transferOf: a.transferOf,
    offers: offers.map(offerView),
    createdAt: iso(a.createdAt),
  };
}

export function enrollmentView(e: EnrollmentRow): z.input<typeof Enrollment> {
  return {
    id: e.id,
    applicationId: e.applicationId,
    groupId: e.groupId,
    programId: e.programId,
    childId: e.childId,
    status: e.status,
    startedAt: iso(e.startedAt),
    endedAt: e.endedAt ? iso(e.endedAt) : null,
    endReason: e.endReason,
    contract: {
      id: e.contract.id,
      method: e.contract.method,
      signedBy: e.contract.signedBy,
      signedRole: e.contract.signedRole,
      signedAt: iso(e.contract.signedAt),
      terminatedAt: e.contract.terminatedAt ? iso(e.contract.terminatedAt) : null,
    },
  };
}
