import { v7 as uuidv7 } from "uuid";
import { CertificateIssued } from "@kruzhok/contracts";
import { appendToOutbox, newEvent, outboxRow, type OutboxEntry } from "@kruzhok/messaging";
import type { Queryable } from "@kruzhok/postgres";
import { ageOn, formatLocalDate, localDateOf, parseLocalDate } from "@kruzhok/time";
import { ageBand, assertIssuableAge } from "../domain/age";
import { activeCategories } from "../domain/categories";
import { certificateNumber } from "../domain/certificate-number";
import { nearDuplicateOf, type DocumentOnFile } from "../domain/documents";
import { registryError } from "../domain/errors";
import {
  decideApplication,
  findApplication,
  findCertificateOfChild,
  insertCertificate,
  issuanceFacts,
  nextSerial,
  writeIssuance,
  type ApplicationRow,
  type CertificateRow,
  type IssuanceFacts,
  type NewHeldApplication,
} from "../store/certificates";
import { findMunicipality } from "../store/municipalities";
import { findChild, lockNamesakes, type ChildRow } from "../store/people";

export interface Origin {
  now: Date;
  correlationId?: string | undefined;
}

export type ApplicationOutcome = { kind: "issued"; certificate: CertificateRow } | { kind: "held"; application: ApplicationRow };

/** One caller's application for one child's certificate. */
export interface CertificateApplicationRequest {
  childId: string;
  /** Throws when the caller may not act for this child; asked once the child has been read. */
  authorize: (child: ChildRow) => void;
  origin: Origin;
}

const HELD_REASON =
  "another child with the same name and birth date already holds a certificate, and their document of the same kind " +
  "differs from this one by one character; an operator will compare the documents and decide";

const certificateExists = () =>
  registryError("CERTIFICATE_EXISTS", "this child already holds a certificate; one child has one certificate in the region", { field: "childId" });

/** What one application comes to once the facts are read, before anything is written. */
type Decision =
  | { kind: "issue"; facts: IssuanceFacts; origin: Origin }
  | { kind: "hold"; application: NewHeldApplication }
  | { kind: "held"; childId: string; application: ApplicationRow | undefined }
  | { kind: "refused"; error: unknown };

/**
 * Apply for the certificates of several children in the caller's transaction, with three
 * statements whatever their number: lock the namesakes, read, write the certificates, their
 * events and the held applications. Each application is refused when the child is not
 * found, not the caller's to act for, already holds a certificate, or is outside 5-17 on the
 * municipality's calendar; held for an operator when a namesake with a document one character
 * apart already holds one (a known fraud); issued otherwise.
 *
 * Outcomes come back in the order of `requests`, one each, exactly as if the applications had
 * been made one after another in that order: a second application for a child issued earlier
 * in the same call is refused, and a namesake issued earlier counts as certified. A refusal is
 * that application's outcome, not an error of the call; the call throws only when the database
 * does (the caller then knows nothing was written).
 */
export async function applyForCertificates(
  tx: Queryable,
  requests: readonly CertificateApplicationRequest[],
): Promise<PromiseSettledResult<ApplicationOutcome>[]> {
  const childIds = [...new Set(requests.map((request) => request.childId))];
  await lockNamesakes(tx, childIds);
  // A statement of its own, after the locks: see `issuanceFacts`.
  const facts = new Map((await issuanceFacts(tx, childIds)).map((f) => [f.child.id, f]));

  // Decisions of this call so far, which the later applications of the call must see as if committed.
  const issuedHere = new Map<string, DocumentOnFile & { identityKey: string }>();
  const heldHere = new Set<string>();
  const decisions = requests.map((request): Decision => {
    try {
      const f = facts.get(request.childId);
      if (!f) throw registryError("CHILD_NOT_FOUND", `no child ${request.childId}`, { field: "childId" });
      request.authorize(f.child);
      if (f.certified || issuedHere.has(f.child.id)) throw certificateExists();
      if (f.held || heldHere.has(f.child.id)) return { kind: "held", childId: f.child.id, application: f.held };
      assertIssuableAge(f.child.birthDate, request.origin.now, f.municipality.timeZone);

      const namesakesHere = [...issuedHere.values()].filter((other) => other.identityKey === f.identity.identityKey);
      const similarChildId = nearDuplicateOf(f.identity, [...f.certifiedNamesakes, ...namesakesHere]);
      if (similarChildId) {
        heldHere.add(f.child.id);
        return {
          kind: "hold",
          application: { id: uuidv7(), childId: f.child.id, municipalityId: f.child.municipalityId, similarChildId, reason: HELD_REASON, now: request.origin.now },
        };
      }
      issuedHere.set(f.child.id, f.identity);
      return { kind: "issue", facts: f, origin: request.origin };
    } catch (error) {
      return { kind: "refused", error };
    }
  });

  const toIssue = decisions.flatMap((d) => (d.kind === "issue" ? [d] : []));
  const planned = toIssue.map(({ facts: f, origin }) => {
    // `issuanceFacts` draws a serial for every child that is neither certified nor held.
    if (f.serial === undefined) throw new Error(`no serial was drawn for child ${f.child.id}`);
    const certificate = { id: uuidv7(), number: certificateNumber(f.municipality.code, f.serial), childId: f.child.id, municipalityId: f.municipality.id, now: origin.now };
    // The row `appendToOutbox` writes, written only with the certificate it announces.
    const announcement = { certificateId: certificate.id, ...outboxRow(issuedEvent(certificate, f.child, f.municipality, origin)) };
    return { certificate, announcement };
  });
  // Under the namesake lock no other application can have issued these meanwhile; a child
  // missing from the result was issued by an operator's decision, and is refused as before.
  const written = await writeIssuance(tx, {
    certificates: planned.map((p) => p.certificate),
    events: planned.map((p) => p.announcement),
    held: decisions.flatMap((d) => (d.kind === "hold" ? [d.application] : [])),
  });
  const certificates = new Map(written.certificates.map((c) => [c.childId, c]));
  const held = new Map(written.held.map((a) => [a.childId, a]));

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

/** An operator's decision on a held application: approve issues the certificate, reject closes it. */
export async function decideHeldApplication(
  tx: Queryable,
  applicationId: string,
  decision: { decision: "approve" | "reject"; comment: string | null; decidedBy: string },
  origin: Origin & { authorize: (application: ApplicationRow) => void },
): Promise<ApplicationRow> {
  const application = await findApplication(tx, applicationId, true);
  if (!application) throw registryError("APPLICATION_NOT_FOUND", `no certificate application ${applicationId}`);
  origin.authorize(application);
  if (application.status !== "held") {
    throw registryError("APPLICATION_DECIDED", `this application was ${application.status} already; it cannot be decided again`);
  }
  let certificateId: string | null = null;
  if (decision.decision === "approve") {
    const child = await findChild(tx, application.childId);
    const municipality = child && (await findMunicipality(tx, child.municipalityId));
    if (!child || !municipality) throw new Error(`application ${application.id} points at a missing child`);
    if (await findCertificateOfChild(tx, child.id)) {
      throw registryError("CERTIFICATE_EXISTS", "this child already holds a certificate; reject the application instead");
    }
    // The child may have aged out while the application waited.
    assertIssuableAge(child.birthDate, origin.now, municipality.timeZone);
    certificateId = (await issue(tx, child, municipality, origin)).id;
  }
  return decideApplication(tx, application.id, {
    status: decision.decision === "approve" ? "approved" : "rejected",
    certificateId,
    decidedBy: decision.decidedBy,
    comment: decision.comment,
    now: origin.now,
  });
}

async function issue(
  tx: Queryable,
  child: ChildRow,
  municipality: { id: string; code: string; timeZone: string },
  origin: Origin,
): Promise<CertificateRow> {
  const number = certificateNumber(municipality.code, await nextSerial(tx));
  const certificate = await insertCertificate(tx, { id: uuidv7(), number, childId: child.id, municipalityId: municipality.id, now: origin.now });
  if (!certificate) throw certificateExists();
  await appendToOutbox(tx, [issuedEvent(certificate, child, municipality, origin)]);
  return certificate;
}

/** The announcement of an issued certificate. */
function issuedEvent(certificate: Pick<CertificateRow, "id" | "number">, child: ChildRow, municipality: { id: string; timeZone: string }, origin: Origin): OutboxEntry {
  const today = localDateOf(origin.now, municipality.timeZone);
  // Ids, birth year, age band and category codes only: names, birth dates and documents stay here.
  const event = newEvent(
    CertificateIssued,
    { municipalityId: municipality.id, aggregateId: certificate.id, correlationId: origin.correlationId },
    {
      certificateId: certificate.id,
      number: certificate.number,
      childId: child.id,
      birthYear: parseLocalDate(child.birthDate).year,
      // The same calendar day as `today`: one reading of the zone's calendar for both.
      ageBand: ageBand(ageOn(parseLocalDate(child.birthDate), today)),
      categories: activeCategories(child.categories, formatLocalDate(today)),
      funding: "accounting",
      guardianIds: child.guardianIds,
    },
    origin.now,
  );
  return { topic: CertificateIssued.topic, event };
}
