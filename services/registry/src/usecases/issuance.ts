import { v7 as uuidv7 } from "uuid";
import { CertificateIssued } from "@kruzhok/contracts";
import { emit } from "@kruzhok/messaging";
import type { Queryable } from "@kruzhok/postgres";
import { formatLocalDate, localDateOf, parseLocalDate } from "@kruzhok/time";
import { ageBand, assertIssuableAge, localAge } from "../domain/age";
import { activeCategories } from "../domain/categories";
import { certificateNumber } from "../domain/certificate-number";
import { nearDuplicateOf } from "../domain/documents";
import { registryError } from "../domain/errors";
import {
  decideApplication,
  findApplication,
  findCertificateOfChild,
  findHeldApplicationOfChild,
  insertCertificate,
  insertHeldApplication,
  nextSerial,
  type ApplicationRow,
  type CertificateRow,
} from "../store/certificates";
import { findMunicipality } from "../store/municipalities";
import { certifiedNamesakes, findChild, identityOf, type ChildRow } from "../store/people";

export interface Origin {
  now: Date;
  correlationId?: string | undefined;
}

export type ApplicationOutcome = { kind: "issued"; certificate: CertificateRow } | { kind: "held"; application: ApplicationRow };

const HELD_REASON =
  "another child with the same name and birth date already holds a certificate, and their document of the same kind " +
  "differs from this one by one character; an operator will compare the documents and decide";

/**
 * Apply for a child's certificate: refused when the child has one or is outside 5-17 on the
 * municipality's calendar; held for an operator when a namesake with a document one character
 * apart already holds one (a known fraud); issued otherwise.
 */
export async function applyForCertificate(tx: Queryable, child: ChildRow, origin: Origin): Promise<ApplicationOutcome> {
  const identity = await identityOf(tx, child.id);
  if (!identity) throw registryError("CHILD_NOT_FOUND", `no child ${child.id}`);
  // Namesakes are serialized, so two near-duplicates applying at once cannot both slip through;
  // the same child applying twice at once is serialized by it too.
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [identity.identityKey]);

  if (await findCertificateOfChild(tx, child.id)) {
    throw registryError("CERTIFICATE_EXISTS", "this child already holds a certificate; one child has one certificate in the region", { field: "childId" });
  }
  const held = await findHeldApplicationOfChild(tx, child.id);
  if (held) return { kind: "held", application: held };

  const municipality = await findMunicipality(tx, child.municipalityId);
  if (!municipality) throw new Error(`child ${child.id} points at a missing municipality`);
  assertIssuableAge(child.birthDate, origin.now, municipality.timeZone);

  const similarChildId = nearDuplicateOf(identity, await certifiedNamesakes(tx, identity.identityKey, child.id));
  if (similarChildId) {
    const application = await insertHeldApplication(tx, {
      id: uuidv7(),
      childId: child.id,
      municipalityId: child.municipalityId,
      similarChildId,
      reason: HELD_REASON,
      now: origin.now,
    });
    return { kind: "held", application };
  }
  return { kind: "issued", certificate: await issue(tx, child, municipality, origin) };
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
  const id = uuidv7();
  const number = certificateNumber(municipality.code, await nextSerial(tx));
  const certificate = await insertCertificate(tx, { id, number, childId: child.id, municipalityId: municipality.id, now: origin.now });
  if (!certificate) throw registryError("CERTIFICATE_EXISTS", "this child already holds a certificate; one child has one certificate in the region", { field: "childId" });
  const today = localDateOf(origin.now, municipality.timeZone);
  // Ids, birth year, age band and category codes only: names, birth dates and documents stay here.
  await emit(
    tx,
    CertificateIssued,
    { municipalityId: municipality.id, aggregateId: id, correlationId: origin.correlationId },
    {
      certificateId: id,
      number,
      childId: child.id,
      birthYear: parseLocalDate(child.birthDate).year,
      ageBand: ageBand(localAge(child.birthDate, origin.now, municipality.timeZone)),
      categories: activeCategories(child.categories, formatLocalDate(today)),
      funding: "accounting",
      guardianIds: child.guardianIds,
    },
    origin.now,
  );
  return certificate;
}
