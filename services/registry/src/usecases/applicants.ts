import { v7 as uuidv7 } from "uuid";
import { requireRole, type Actor } from "@kruzhok/actor";
import type { Cause } from "@kruzhok/messaging";
import { pageByIdOf, type PoolClient } from "@kruzhok/postgres";
import { localAge } from "../domain/age";
import { registryError } from "../domain/errors";
import {
  applicantsOf,
  recordApplicationClosed,
  recordApplied,
  recordEnrolled,
  recordEnrollmentEnded,
  type ApplicantCard,
  type ApplicantRef,
} from "../store/applicants";
import { insertLookup } from "../store/lookups";
import type { RegistryDeps } from "../deps";
import { inTransaction } from "./transaction";

// A provider reviews an application and teaches a group: it needs the child's name and age and
// how to reach the family. It reads them here, where they live, for the children who applied to
// or are enrolled in its own groups (what enrollment's events tell the registry), and every read
// is written down as any look-up of personal data is.

/** What enrollment told of an application or an enrollment, as the relation it makes. */
export type ApplicantChange =
  | { kind: "applied"; ref: ApplicantRef }
  | { kind: "enrolled"; ref: ApplicantRef; enrollmentId: string }
  | { kind: "application-closed"; ref: ApplicantRef }
  | { kind: "enrollment-ended"; enrollmentId: string };

/** A consumer's change of who may read whom, in its transaction. */
export async function recordApplicantChange(tx: PoolClient, change: ApplicantChange, now: Date): Promise<void> {
  switch (change.kind) {
    case "applied":
      return recordApplied(tx, change.ref, now);
    case "enrolled":
      return recordEnrolled(tx, { ...change.ref, enrollmentId: change.enrollmentId }, now);
    case "application-closed":
      return recordApplicationClosed(tx, change.ref, now);
    case "enrollment-ended":
      return recordEnrollmentEnded(tx, change.enrollmentId, now);
    default: {
      const exhaustive: never = change;
      return exhaustive;
    }
  }
}

/** A child as its provider reads it: name, birth date and age today, the guardians' names and contacts, and what ties it to the provider. */
export interface ApplicantView {
  childId: string;
  firstName: string;
  lastName: string;
  patronymic: string | null;
  birthDate: string;
  age: number;
  guardians: { firstName: string; lastName: string; patronymic: string | null; phone: string | null; email: string | null }[];
  relations: ApplicantCard["relations"];
}

const viewOf = (card: ApplicantCard, now: Date): ApplicantView => ({
  childId: card.id,
  firstName: card.firstName,
  lastName: card.lastName,
  patronymic: card.patronymic,
  birthDate: card.birthDate,
  age: localAge(card.birthDate, now, card.timeZone),
  guardians: card.guardians.map(({ firstName, lastName, patronymic, phone, email }) => ({ firstName, lastName, patronymic, phone, email })),
  relations: card.relations,
});

/**
 * The children with an open application to or an enrollment in the provider's groups (one, when
 * `childId` is given: NOT_YOUR_APPLICANT when it has neither, whether or not the child exists),
 * page by page. Only the provider itself; the read is written to the look-ups.
 */
export async function providerApplicants(
  deps: RegistryDeps,
  actor: Actor,
  query: { providerId: string; childId?: string | undefined; after?: string | undefined; limit: number },
  cause: Cause,
): Promise<{ items: ApplicantView[]; nextCursor: string | null }> {
  requireRole(actor, "provider");
  if (actor.providerId !== query.providerId) throw registryError("NOT_YOUR_APPLICANT", "a provider reads the children of its own groups only");
  return inTransaction(deps, cause, async ({ tx, now }) => {
    const { items: page, nextCursor } = pageByIdOf(await applicantsOf(tx, query.providerId, { childId: query.childId, after: query.after, limit: query.limit + 1 }), query.limit);
    if (query.childId && page.length === 0) {
      throw registryError("NOT_YOUR_APPLICANT", "the child has no open application to your groups and is not enrolled in one", { field: "childId" });
    }
    if (page.length > 0) {
      await insertLookup(tx, {
        id: uuidv7({ msecs: now.getTime() }),
        // The provider's municipality: its office answers for what its providers read.
        municipalityId: actor.municipalityId ?? page[0]!.municipalityId,
        actorSubject: actor.subject,
        actorRole: actor.role,
        basisKind: null,
        basisReference: null,
        kind: "applicants",
        criteria: { providerId: query.providerId, childId: query.childId ?? null },
        childIds: page.map((c) => c.id),
        guardianIds: [...new Set(page.flatMap((c) => c.guardians.map((g) => g.id)))],
        at: now,
      });
    }
    return { items: page.map((card) => viewOf(card, now)), nextCursor };
  });
}
