import type { z } from "zod";
import type { FastifyRequest } from "fastify";
import type { Actor } from "@kruzhok/actor";
import { familyLanguage, type FamilyLanguage } from "@kruzhok/i18n";
import { positionSentence } from "../domain/queue";
import type { Position as PositionAnswer } from "../usecases/positions";
import type { ApplicationRow } from "../store/applications";
import type { EnrollmentRow } from "../store/enrollments";
import type { OfferRow } from "../store/offers";
import type { Application, Enrollment, Offer } from "./schemas";

/**
 * A provider is told what it needs to teach the child, not the family's social category (a
 * disability, low income, orphanhood): the queue's order it sees, the reasons for it it does not.
 */
export const withoutCategories = (viewer: Actor | undefined): boolean => viewer?.role === "provider";

/**
 * A position as the reader may read it, explained in their language: a provider learns where the
 * child stands, not by which category.
 */
export function positionFor(viewer: Actor, p: PositionAnswer, language: FamilyLanguage): PositionAnswer {
  if (withoutCategories(viewer)) {
    const withheld = { ...p, category: null, aheadByCategory: [], inOwnCategory: null };
    return { ...withheld, explanation: positionSentence(withheld, language) };
  }
  // The domain words it in Russian already.
  return language === "ru" ? p : { ...p, explanation: positionSentence(p, language) };
}

/**
 * Each position answer written once per language and kind of reader. A position answered from
 * the counts PositionLookups kept is the same object until its queue changes, and a family asks
 * again and again: drawing its words and JSON each time was a tenth of a lookup's CPU.
 */
const writtenPositions = new WeakMap<PositionAnswer, Map<string, Buffer>>();

/** `positionFor` as the response's bytes, from `writtenPositions` when written before. */
export function positionBody(viewer: Actor, p: PositionAnswer, language: FamilyLanguage): Buffer {
  const variant = withoutCategories(viewer) ? `${language}:withheld` : language;
  let variants = writtenPositions.get(p);
  const written = variants?.get(variant);
  if (written) return written;
  const body = Buffer.from(JSON.stringify(positionFor(viewer, p, language)));
  if (!variants) {
    variants = new Map();
    writtenPositions.set(p, variants);
  }
  variants.set(variant, body);
  return body;
}

/** The reader's language for what a family reads: Russian or Kazakh from Accept-Language; Russian when it names neither. */
export function familyLanguageOf(request: FastifyRequest): FamilyLanguage {
  return familyLanguage(request.headers["accept-language"]);
}

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

export function applicationView(a: ApplicationRow, offers: readonly OfferRow[], viewer?: Actor, enrollment?: EnrollmentRow): z.input<typeof Application> {
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
    category: withoutCategories(viewer) ? null : { code: a.categoryCode, rank: a.categoryRank },
    acceptedAt: a.acceptedAtText,
    refusal: a.refusalCode ? { code: a.refusalCode, detail: a.refusalDetail ?? "" } : null,
    submittedBy: a.submittedRole,
    transferOf: a.transferOf,
    offers: offers.map(offerView),
    enrollment: enrollment
      ? { id: enrollment.id, status: enrollment.status, leavesOn: enrollment.leavesOn, endedAt: enrollment.endedAt ? iso(enrollment.endedAt) : null, endReason: enrollment.endReason }
      : null,
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
    leavesOn: e.leavesOn,
    leftFor: e.leftFor,
    expulsion:
      e.endReason === "expelled"
        ? { reason: e.endComment ?? "", answer: e.familyAnswer ? { text: e.familyAnswer.text, at: iso(e.familyAnswer.at) } : null }
        : null,
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
