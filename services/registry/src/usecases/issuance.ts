import { v7 as uuidv7 } from "uuid";
import { requireBasis, requireMunicipality, requireRole, type Actor } from "@kruzhok/actor";
import { CertificateIssued, ChildGuardiansChanged } from "@kruzhok/contracts";
import { appendToOutbox, emit, newEvent, type Cause, type OutboxEntry } from "@kruzhok/messaging";
import type { Queryable } from "@kruzhok/postgres";
import { ageOn, formatLocalDate, localDateOf, parseLocalDate } from "@kruzhok/time";
import { ageBand } from "../domain/age";
import { activeCategories } from "../domain/categories";
import { certificateNumber } from "../domain/certificate-number";
import { registryError } from "../domain/errors";
import { assertStillIssuable, certificateExists, decideHeldApplication, decideIssuance, mergedGuardians, type HeldDecision } from "../domain/issuance";
import type { PersonOnFile } from "../domain/person-match";
import {
  findApplication,
  findCertificateOfChild,
  insertCertificate,
  issuanceFacts,
  nextSerial,
  recordApplicationDecision,
  writeIssuance,
  type ApplicationRow,
  type CertificateRow,
  type IssuanceFacts,
  type NewHeldApplication,
} from "../store/certificates";
import { findMunicipality } from "../store/municipalities";
import { findChild, lockSameDay, mergeChildInto, type ChildRow } from "../store/people";
import type { RegistryDeps } from "../deps";
import { insertFamilyActs } from "../store/audit";
import { assertActsForChild, familyActOf, officeRoles } from "./access";
import { inTransaction, type Write } from "./transaction";

export type ApplicationOutcome = { kind: "issued"; certificate: CertificateRow } | { kind: "held"; application: ApplicationRow };

/** One caller's application for one child's certificate. */
export interface CertificateApplicationRequest {
  /** Who applies: a guardian of the child, or the office of its municipality (asked once the child has been read). */
  actor: Actor;
  childId: string;
  /** When it arrived: it is decided as of then, however long it waited for its batch. */
  now: Date;
  cause: Cause;
}

/** Who may apply for a certificate at all; whether for this child is asked once the child is read. */
export function assertMayApply(actor: Actor): void {
  requireRole(actor, "guardian", ...officeRoles);
}

/** What one application comes to once the facts are read, before anything is written. */
type Decision =
  | { kind: "issue"; facts: IssuanceFacts; request: CertificateApplicationRequest }
  | { kind: "hold"; application: NewHeldApplication }
  | { kind: "held"; childId: string; application: ApplicationRow | undefined }
  | { kind: "refused"; error: unknown };

/**
 * Apply for the certificates of several children in the caller's transaction, with four
 * statements whatever their number: lock the children born the same day, read, write the certificates and the
 * held applications, write the events of the certificates written. Each application is refused
 * when the child is not found or not the caller's to act for, and otherwise decided by the
 * domain (`decideIssuance`): refused, held for an operator, or issued.
 *
 * Outcomes come back in the order of `requests`, one each, exactly as if the applications had
 * been made one after another in that order: a second application for a child issued earlier
 * in the same call is refused, and a child born the same day issued earlier counts as certified. A refusal is
 * that application's outcome, not an error of the call; the call throws only when the database
 * does (the caller then knows nothing was written).
 */
export async function applyForCertificates(
  tx: Queryable,
  requests: readonly CertificateApplicationRequest[],
): Promise<PromiseSettledResult<ApplicationOutcome>[]> {
  const childIds = [...new Set(requests.map((request) => request.childId))];
  await lockSameDay(tx, childIds);
  // A statement of its own, after the locks: see `issuanceFacts`.
  const facts = new Map((await issuanceFacts(tx, childIds)).map((f) => [f.child.id, f]));

  // Decisions of this call so far, which the later applications of the call must see as if committed.
  const issuedHere = new Map<string, PersonOnFile>();
  const heldHere = new Set<string>();
  const decisions = requests.map((request): Decision => {
    try {
      const f = facts.get(request.childId);
      if (!f) throw registryError("CHILD_NOT_FOUND", `no child ${request.childId}`, { field: "childId" });
      assertActsForChild(request.actor, f.child);
      // An operator applying for a family states the basis (written to the family's trail below).
      requireBasis(request.actor);
      const sameDayHere = [...issuedHere.values()].filter((other) => other.birthDate === f.child.birthDate);
      const decision = decideIssuance(
        {
          birthDate: f.child.birthDate,
          lastName: f.child.lastName,
          firstName: f.child.firstName,
          certified: f.certified || issuedHere.has(f.child.id),
          held: f.held !== undefined || heldHere.has(f.child.id),
          mergedInto: f.mergedInto,
          certifiedSameDay: [...f.certifiedSameDay, ...sameDayHere],
        },
        request.now,
        f.municipality.timeZone,
      );
      switch (decision.kind) {
        case "held":
          return { kind: "held", childId: f.child.id, application: f.held };
        case "hold": {
          heldHere.add(f.child.id);
          const { similarChildId, reason } = decision;
          return { kind: "hold", application: { id: uuidv7(), childId: f.child.id, municipalityId: f.child.municipalityId, similarChildId, reason, now: request.now } };
        }
        case "issue":
          issuedHere.set(f.child.id, { id: f.child.id, lastName: f.child.lastName, firstName: f.child.firstName, birthDate: f.child.birthDate });
          return { kind: "issue", facts: f, request };
        default: {
          const exhaustive: never = decision;
          return exhaustive;
        }
      }
    } catch (error) {
      return { kind: "refused", error };
    }
  });

  const toIssue = decisions.flatMap((d) => (d.kind === "issue" ? [d] : []));
  // Under the same-day lock no other application can have issued these meanwhile; a child
  // missing from the result was issued by an operator's decision, and is refused as before.
  const written = await writeIssuance(tx, {
    certificates: toIssue.map(({ facts: f, request }) => {
      // `issuanceFacts` draws a serial for every child that is neither certified nor held.
      if (f.serial === undefined) throw new Error(`no serial was drawn for child ${f.child.id}`);
      return { id: uuidv7(), number: certificateNumber(f.municipality.code, f.serial), childId: f.child.id, municipalityId: f.municipality.id, now: request.now };
    }),
    held: decisions.flatMap((d) => (d.kind === "hold" ? [d.application] : [])),
  });
  const certificates = new Map(written.certificates.map((c) => [c.childId, c]));
  const held = new Map(written.held.map((a) => [a.childId, a]));
  // Every certificate written is announced in the same transaction, in the order applied: one
  // more statement for the batch, whatever its size.
  await appendToOutbox(
    tx,
    toIssue.flatMap(({ facts: f, request }) => {
      const certificate = certificates.get(f.child.id);
      return certificate ? [issuedEvent(certificate, f.child, f.municipality, request.now, request.cause)] : [];
    }),
  );

  // What operators applied for families, in their trails: one more statement, only when any did.
  await insertFamilyActs(
    tx,
    requests.flatMap((request, index) => {
      const d = decisions[index]!;
      if (d.kind === "issue" ? !certificates.has(request.childId) : d.kind !== "hold") return [];
      const f = facts.get(request.childId)!;
      const act = familyActOf(request.actor, { action: "certificate.applied", subjectId: f.child.id, municipalityId: f.child.municipalityId, childId: f.child.id, now: request.now });
      return act ? [act] : [];
    }),
  );

  return decisions.map((d): PromiseSettledResult<ApplicationOutcome> => {
    switch (d.kind) {
      case "refused":
        return { status: "rejected", reason: d.error };
      case "issue": {
        const certificate = certificates.get(d.facts.child.id);
        return certificate ? { status: "fulfilled", value: { kind: "issued", certificate } } : { status: "rejected", reason: certificateExists() };
      }
      case "hold":
      case "held": {
        const childId = d.kind === "hold" ? d.application.childId : d.childId;
        const application = (d.kind === "held" ? d.application : undefined) ?? held.get(childId);
        if (!application) throw new Error(`the held application of child ${childId} was not written`);
        return { status: "fulfilled", value: { kind: "held", application } };
      }
      default: {
        const exhaustive: never = d;
        return exhaustive;
      }
    }
  });
}

/**
 * The office of the application's municipality decides a held application, as the domain
 * allows: approve issues the certificate (another child, if it may still have one), reject
 * closes it, merge finds it the same child as the certified one: the duplicate record is merged
 * into it, its guardians join the child's (announced to every service), and no second
 * certificate is issued.
 */
export async function reviewHeldApplication(
  deps: RegistryDeps,
  actor: Actor,
  command: { applicationId: string; decision: HeldDecision; comment: string | null },
  cause: Cause,
): Promise<ApplicationRow> {
  requireRole(actor, ...officeRoles);
  const { applicationId } = command;
  return inTransaction(deps, cause, async (write) => {
    const { tx, now } = write;
    const application = await findApplication(tx, applicationId, true);
    if (!application) throw registryError("APPLICATION_NOT_FOUND", `no certificate application ${applicationId}`);
    requireMunicipality(actor, application.municipalityId);
    const status = decideHeldApplication(application.status, command.decision);
    let certificateId: string | null = null;
    if (status === "approved") {
      const child = await findChild(tx, application.childId);
      const municipality = child && (await findMunicipality(tx, child.municipalityId));
      if (!child || !municipality) throw new Error(`application ${application.id} points at a missing child`);
      assertStillIssuable({ certified: (await findCertificateOfChild(tx, child.id)) !== undefined, birthDate: child.birthDate }, now, municipality.timeZone);
      certificateId = (await issue(write, child, municipality)).id;
    } else if (status === "merged") {
      certificateId = await merge(write, application);
    }
    return recordApplicationDecision(tx, application.id, { status, certificateId, decidedBy: actor.subject, comment: command.comment, now });
  });
}

/** Merge the held child into the certified child it was found to be; the certificate it holds is the child's one. */
async function merge({ tx, now, cause }: Write, application: ApplicationRow): Promise<string> {
  const duplicate = await findChild(tx, application.childId);
  const child = await findChild(tx, application.similarChildId);
  const certificate = await findCertificateOfChild(tx, application.similarChildId);
  if (!duplicate || !child || !certificate) throw new Error(`application ${application.id} points at a missing child or certificate`);
  const guardianIds = mergedGuardians(child.guardianIds, duplicate.guardianIds);
  await mergeChildInto(tx, duplicate.id, child.id, guardianIds);
  if (guardianIds.length !== child.guardianIds.length) {
    await emit(
      tx,
      ChildGuardiansChanged,
      { ...cause, municipalityId: certificate.municipalityId, aggregateId: child.id },
      { childId: child.id, certificateId: certificate.id, guardianIds },
      now,
    );
  }
  return certificate.id;
}

async function issue({ tx, now, cause }: Write, child: ChildRow, municipality: { id: string; code: string; timeZone: string }): Promise<CertificateRow> {
  const number = certificateNumber(municipality.code, await nextSerial(tx));
  const certificate = await insertCertificate(tx, { id: uuidv7(), number, childId: child.id, municipalityId: municipality.id, now });
  if (!certificate) throw certificateExists();
  await appendToOutbox(tx, [issuedEvent(certificate, child, municipality, now, cause)]);
  return certificate;
}

/** The announcement of an issued certificate. */
function issuedEvent(certificate: Pick<CertificateRow, "id" | "number">, child: ChildRow, municipality: { id: string; timeZone: string }, now: Date, cause: Cause): OutboxEntry {
  const today = localDateOf(now, municipality.timeZone);
  // Ids, the birth date (for programs' age limits), age band and category codes: names and documents stay here.
  const event = newEvent(
    CertificateIssued,
    { ...cause, municipalityId: municipality.id, aggregateId: certificate.id },
    {
      certificateId: certificate.id,
      number: certificate.number,
      childId: child.id,
      birthYear: parseLocalDate(child.birthDate).year,
      birthDate: child.birthDate,
      // The same calendar day as `today`: one reading of the zone's calendar for both.
      ageBand: ageBand(ageOn(parseLocalDate(child.birthDate), today)),
      categories: activeCategories(child.categories, formatLocalDate(today)),
      funding: "accounting",
      guardianIds: child.guardianIds,
    },
    now,
  );
  return { topic: CertificateIssued.topic, event };
}
