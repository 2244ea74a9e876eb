import { CertificateConversionRefused, CertificateFinanced } from "@kruzhok/contracts";
import { emit } from "@kruzhok/messaging";
import type { Queryable } from "@kruzhok/postgres";
import { localDateOf } from "@kruzhok/time";
import { conversionObstacle, type ConversionRefusal } from "../domain/certificate";
import { registryError } from "../domain/errors";
import { certificateState, findCertificate, markFinanced, type CertificateRow } from "../store/certificates";
import { findMunicipality, findYear, takeFinancedPlace } from "../store/municipalities";

export interface FinancingRequest {
  certificateId: string;
  /** The year asked for; the municipality's current local year when absent. */
  year?: number;
  /** The enrollment request this answers; null when a person asked over HTTP. */
  requestId: string | null;
  now: Date;
  correlationId?: string | undefined;
  causationId?: string | null;
  /** Checks the caller may act on the certificate, once it is locked (HTTP callers). */
  authorize?: (certificate: CertificateRow) => Promise<void> | void;
}

export type FinancingOutcome =
  | { kind: "financed"; certificate: CertificateRow; year: number }
  | { kind: "refused"; certificate: CertificateRow; year: number; reason: ConversionRefusal };

/**
 * Make a certificate financed for a year, if its municipality has room under the cap. The
 * certificate row is locked first, so two conversions of one certificate cannot both take a
 * place; the place itself is taken by one conditional UPDATE, so concurrent conversions of
 * different certificates stop exactly at the cap. Announces `financed` in the same transaction;
 * a refusal is returned, and each caller answers it in its own way (HTTP: a problem and nothing
 * written; the consumer: a refusal event).
 */
export async function requestFinancing(tx: Queryable, request: FinancingRequest): Promise<FinancingOutcome> {
  const certificate = await findCertificate(tx, request.certificateId, true);
  if (!certificate) throw registryError("CERTIFICATE_NOT_FOUND", `no certificate ${request.certificateId}`);
  await request.authorize?.(certificate);
  const municipality = await findMunicipality(tx, certificate.municipalityId);
  if (!municipality) throw new Error(`certificate ${certificate.id} points at a missing municipality`);

  const currentYear = localDateOf(request.now, municipality.timeZone).year;
  const year = request.year ?? currentYear;
  const obstacle =
    conversionObstacle(certificateState(certificate), year, currentYear) ??
    ((await findYear(tx, municipality.id, year)) ? undefined : "no_year_settings");
  if (obstacle) return { kind: "refused", certificate, year, reason: obstacle };

  const nominal = await takeFinancedPlace(tx, municipality.id, year);
  if (nominal === undefined) return { kind: "refused", certificate, year, reason: "cap_reached" };

  const financed = await markFinanced(tx, certificate.id, year, request.now);
  await emit(
    tx,
    CertificateFinanced,
    { municipalityId: municipality.id, aggregateId: certificate.id, correlationId: request.correlationId, causationId: request.causationId ?? null },
    { certificateId: certificate.id, number: certificate.number, childId: certificate.childId, year, nominal, currency: municipality.currency, requestId: request.requestId },
    request.now,
  );
  return { kind: "financed", certificate: financed, year };
}

/** Announce a refusal: enrollment waits for an answer either way. */
export async function announceRefusal(
  tx: Queryable,
  outcome: Extract<FinancingOutcome, { kind: "refused" }>,
  origin: { requestId: string | null; correlationId?: string | undefined; causationId?: string | null; now: Date },
): Promise<void> {
  const { certificate } = outcome;
  await emit(
    tx,
    CertificateConversionRefused,
    { municipalityId: certificate.municipalityId, aggregateId: certificate.id, correlationId: origin.correlationId, causationId: origin.causationId ?? null },
    { certificateId: certificate.id, number: certificate.number, childId: certificate.childId, year: outcome.year, reason: outcome.reason, requestId: origin.requestId },
    origin.now,
  );
}
