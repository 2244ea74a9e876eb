import { requireRole, type Actor } from "@kruzhok/actor";
import { CertificateConversionRefused, CertificateFinanced } from "@kruzhok/contracts";
import { emit, type Cause } from "@kruzhok/messaging";
import type { PoolClient } from "@kruzhok/postgres";
import { formatLocalDate, localDateOf } from "@kruzhok/time";
import { conversionObstacle, refusalError, type ConversionRefusal } from "../domain/certificate";
import { registryError } from "../domain/errors";
import { certificateState, findCertificate, markFinanced, type CertificateRow } from "../store/certificates";
import { findMunicipality, findYear, takeFinancedPlace } from "../store/municipalities";
import type { RegistryDeps } from "../deps";
import { assertActsForCertificate, officeRoles, recordFamilyAct } from "./access";
import { inTransaction, joinTransaction, type Write } from "./transaction";

export type FinancingOutcome =
  | { kind: "financed"; certificate: CertificateRow; year: number }
  | { kind: "refused"; certificate: CertificateRow; year: number; reason: ConversionRefusal };

/**
 * A guardian of the child, or the office of its municipality, asks to finance a certificate for
 * the municipality's current local year. A refusal is the caller's domain error, and nothing is
 * written.
 */
export async function financeCertificate(deps: RegistryDeps, actor: Actor, command: { certificateId: string }, cause: Cause): Promise<CertificateRow> {
  requireRole(actor, "guardian", ...officeRoles);
  return inTransaction(deps, cause, async (write) => {
    const certificate = await lockCertificate(write, command.certificateId);
    await assertActsForCertificate(write.tx, actor, certificate);
    await recordFamilyAct(write.tx, actor, {
      action: "certificate.financing-requested",
      subjectId: certificate.id,
      municipalityId: certificate.municipalityId,
      childId: certificate.childId,
      now: write.now,
    });
    const outcome = await finance(write, certificate, { year: undefined, requestId: null });
    if (outcome.kind === "refused") throw refusalError(outcome.reason, outcome.year);
    return outcome.certificate;
  });
}

/**
 * Enrollment asks to finance a certificate for a year (a child enrolls into a financed
 * program), and is answered either way in the consumer's transaction: `financed`, or a refusal
 * event, which is a normal answer rather than a failure. An unknown certificate is a domain
 * error (the request is dead-lettered).
 */
export async function answerConversionRequest(
  deps: RegistryDeps,
  tx: PoolClient,
  command: { certificateId: string; year: number; requestId: string },
  cause: Cause,
): Promise<FinancingOutcome> {
  return joinTransaction(deps, tx, cause, async (write) => {
    const certificate = await lockCertificate(write, command.certificateId);
    const outcome = await finance(write, certificate, command);
    if (outcome.kind === "refused") {
      await emit(
        write.tx,
        CertificateConversionRefused,
        { ...cause, municipalityId: certificate.municipalityId, aggregateId: certificate.id },
        { certificateId: certificate.id, number: certificate.number, childId: certificate.childId, year: outcome.year, reason: outcome.reason, requestId: command.requestId },
        write.now,
      );
    }
    return outcome;
  });
}

/** The certificate, locked: two conversions of one certificate cannot both take a place. */
async function lockCertificate({ tx }: Write, certificateId: string): Promise<CertificateRow> {
  const certificate = await findCertificate(tx, certificateId, true);
  if (!certificate) throw registryError("CERTIFICATE_NOT_FOUND", `no certificate ${certificateId}`);
  return certificate;
}

/**
 * Make a locked certificate financed for a year (the municipality's current local year when
 * none is asked for), if its municipality has room under the cap. The place is taken by one
 * conditional UPDATE, so concurrent conversions of different certificates stop exactly at the
 * cap. Announces `financed` in the same transaction; a refusal is returned and written nowhere,
 * and each caller answers it in its own way.
 */
async function finance(
  { tx, now, cause }: Write,
  certificate: CertificateRow,
  request: { year: number | undefined; requestId: string | null },
): Promise<FinancingOutcome> {
  const municipality = await findMunicipality(tx, certificate.municipalityId);
  if (!municipality) throw new Error(`certificate ${certificate.id} points at a missing municipality`);

  const today = localDateOf(now, municipality.timeZone);
  const currentYear = today.year;
  const year = request.year ?? currentYear;
  // Financing decides on today: the settings in force today, or, for a year ahead, on its first day.
  const on = year > currentYear ? `${year}-01-01` : formatLocalDate(today);
  const obstacle =
    conversionObstacle(certificateState(certificate), year, currentYear) ??
    ((await findYear(tx, municipality.id, year, on)) ? undefined : "no_year_settings");
  if (obstacle) return { kind: "refused", certificate, year, reason: obstacle };

  const nominal = await takeFinancedPlace(tx, municipality.id, year, on);
  if (nominal === undefined) return { kind: "refused", certificate, year, reason: "cap_reached" };

  const financed = await markFinanced(tx, certificate.id, year, now);
  await emit(
    tx,
    CertificateFinanced,
    { ...cause, municipalityId: municipality.id, aggregateId: certificate.id },
    { certificateId: certificate.id, number: certificate.number, childId: certificate.childId, year, nominal, currency: municipality.currency, requestId: request.requestId },
    now,
  );
  return { kind: "financed", certificate: financed, year };
}
