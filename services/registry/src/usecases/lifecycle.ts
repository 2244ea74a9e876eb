import { CertificateClosed, CertificateMoved, CertificateResumed, CertificateSuspended } from "@kruzhok/contracts";
import { emit } from "@kruzhok/messaging";
import type { Queryable } from "@kruzhok/postgres";
import { localDateOf } from "@kruzhok/time";
import { decide, type CertificateCommand } from "../domain/certificate";
import { registryError } from "../domain/errors";
import { certificateState, findCertificate, saveCertificate, type CertificateRow } from "../store/certificates";
import { findMunicipality, releaseFinancedPlace } from "../store/municipalities";
import { moveChild } from "../store/people";

/** The domain's commands, with where a move goes. */
export type LifecycleCommand = Exclude<CertificateCommand, { kind: "move" }> | { kind: "move"; toMunicipalityId: string };

export interface LifecycleContext {
  now: Date;
  correlationId?: string | undefined;
  /** Checks the caller may act on the certificate, once it is locked. */
  authorize: (certificate: CertificateRow) => void;
}

/** Suspend, resume, close or move a certificate, as the domain decides, and announce it. */
export async function changeCertificate(tx: Queryable, certificateId: string, command: LifecycleCommand, context: LifecycleContext): Promise<CertificateRow> {
  const certificate = await findCertificate(tx, certificateId, true);
  if (!certificate) throw registryError("CERTIFICATE_NOT_FOUND", `no certificate ${certificateId}`);
  context.authorize(certificate);
  const { now } = context;
  const ref = { certificateId: certificate.id, number: certificate.number, childId: certificate.childId };
  const origin = (municipalityId: string) => ({ municipalityId, aggregateId: certificate.id, correlationId: context.correlationId });
  const here = { municipalityId: certificate.municipalityId };

  switch (command.kind) {
    case "suspend": {
      const saved = await saveCertificate(tx, certificate.id, decide(certificateState(certificate), command), here, now);
      await emit(tx, CertificateSuspended, origin(here.municipalityId), { ...ref, reason: command.reason }, now);
      return saved;
    }
    case "resume": {
      const saved = await saveCertificate(tx, certificate.id, decide(certificateState(certificate), command), here, now);
      await emit(tx, CertificateResumed, origin(here.municipalityId), ref, now);
      return saved;
    }
    case "close": {
      // A financed place stays counted: money may already have been spent from it this year.
      const next = decide(certificateState(certificate), command);
      const saved = await saveCertificate(tx, certificate.id, next, { ...here, closedComment: command.comment }, now);
      await emit(tx, CertificateClosed, origin(here.municipalityId), { ...ref, reason: command.reason, comment: command.comment }, now);
      return saved;
    }
    case "move":
      return move(tx, certificate, command.toMunicipalityId, context);
    default: {
      const exhaustive: never = command;
      return exhaustive;
    }
  }
}

/**
 * Moving within the region keeps the number; the child arrives on accounting status, and the
 * old municipality gets back the place it financed this year (its budget, its cap).
 */
async function move(tx: Queryable, certificate: CertificateRow, toMunicipalityId: string, { now, correlationId }: LifecycleContext): Promise<CertificateRow> {
  const field = "toMunicipalityId";
  const from = await findMunicipality(tx, certificate.municipalityId);
  const to = await findMunicipality(tx, toMunicipalityId);
  if (!from) throw new Error(`certificate ${certificate.id} points at a missing municipality`);
  if (!to) throw registryError("MUNICIPALITY_NOT_FOUND", `no municipality ${toMunicipalityId}`, { field });
  if (to.id === from.id) throw registryError("MOVE_TO_SAME_MUNICIPALITY", "the certificate is already in this municipality", { field });
  if (to.regionCode !== from.regionCode) {
    throw registryError(
      "MOVE_OUTSIDE_REGION",
      `${to.name} is in another region; a child leaving the region has the certificate closed (reason left_region) and applies there`,
      { field },
    );
  }
  const next = decide(certificateState(certificate), { kind: "move" });
  const year = localDateOf(now, from.timeZone).year;
  if (certificate.funding === "financed" && certificate.financedYear === year) await releaseFinancedPlace(tx, from.id, year);
  await moveChild(tx, certificate.childId, to.id);
  const saved = await saveCertificate(tx, certificate.id, next, { municipalityId: to.id }, now);
  await emit(
    tx,
    CertificateMoved,
    { municipalityId: to.id, aggregateId: certificate.id, correlationId },
    { certificateId: certificate.id, number: certificate.number, childId: certificate.childId, fromMunicipalityId: from.id, toMunicipalityId: to.id, funding: next.funding },
    now,
  );
  return saved;
}
