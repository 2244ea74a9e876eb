import type { Cause } from "@kruzhok/messaging";
import { onCommit, type PoolClient } from "@kruzhok/postgres";
import { lockGroupQueues, openApplicationsOfCertificate } from "../store/applications";
import { activeEnrollmentsOfChildById, findEnrollment } from "../store/enrollments";
import { childOfCertificate, lockChild, replaceGuardians, setCertificate, upsertIssuedCertificate } from "../store/projections";
import { settleFinancing, withdrawOpenApplicationsOfCertificate } from "./applications";
import { SYSTEM, closeEnrollment } from "./offers";
import type { PositionLookups } from "./positions";

// Certificates as the registry announces them: issued (with the child's guardians and
// categories), financed or refused financing, suspended, resumed, closed, moved.

export interface IssuedCertificate {
  certificateId: string;
  municipalityId: string;
  childId: string;
  number: string;
  birthYear: number;
  /** The real birth date, for programs' age limits (absent from certificates announced before the registry sent it). */
  birthDate?: string | undefined;
  /** Every guardian of the child: the list replaces the one known. */
  guardianIds: readonly string[];
  categories: readonly string[];
}

/**
 * A certificate was issued: enrollment learns it, its child, the child's guardians and
 * categories. A guardian no longer among the child's is forgotten, once this commits, by the
 * position lookups of every worker, which let a guardian they know read the child's positions
 * without asking Postgres.
 */
export async function recordIssuedCertificate(
  tx: PoolClient,
  deps: { positions: PositionLookups },
  certificate: IssuedCertificate,
  now: Date,
): Promise<void> {
  const { certificateId: id, guardianIds, ...rest } = certificate;
  await upsertIssuedCertificate(tx, { id, ...rest }, now);
  if ((await replaceGuardians(tx, certificate.childId, guardianIds)) > 0) onCommit(tx, () => deps.positions.forgetGuardiansOf(certificate.childId));
}

/**
 * The child's guardians changed (the registry merged a duplicate record into the child, bringing
 * its guardians): the whole list replaces the one held, and a guardian no longer among them is
 * forgotten by the position lookups once this commits.
 */
export async function recordGuardians(tx: PoolClient, deps: { positions: PositionLookups }, childId: string, guardianIds: readonly string[]): Promise<void> {
  if ((await replaceGuardians(tx, childId, guardianIds)) > 0) onCommit(tx, () => deps.positions.forgetGuardiansOf(childId));
}

/**
 * The registry financed the certificate for `year` (or it was financed already): the
 * applications waiting for that answer go on as queued.
 */
export async function recordFinancing(tx: PoolClient, certificateId: string, year: number, now: Date, cause: Cause): Promise<void> {
  await setCertificate(tx, certificateId, { funding: "financed", financedYear: year }, now);
  await settleFinancing(tx, certificateId, { financed: true }, now, cause);
}

/**
 * The registry refused to finance the certificate: the applications waiting for that answer are
 * refused. Financed already (by an earlier request or over the registry's own API) is no
 * refusal: they go on as financed.
 */
export async function recordFinancingRefused(tx: PoolClient, certificateId: string, year: number, reason: string, now: Date, cause: Cause): Promise<void> {
  if (reason === "already_financed") return recordFinancing(tx, certificateId, year, now, cause);
  await settleFinancing(tx, certificateId, { financed: false, reason }, now, cause);
}

/**
 * Suspended, or resumed. Applications keep their places; a suspended certificate cannot apply
 * nor accept an offer.
 */
export async function setCertificateInForce(tx: PoolClient, certificateId: string, status: "active" | "suspended", now: Date): Promise<void> {
  await setCertificate(tx, certificateId, { status }, now);
}

/** The certificate moved to another municipality: its open applications in the one it left are withdrawn. */
export async function moveCertificate(tx: PoolClient, certificateId: string, toMunicipalityId: string, now: Date, cause: Cause): Promise<void> {
  await withdrawOpenApplicationsOfCertificate(tx, certificateId, "certificate_moved", now, cause);
  await setCertificate(tx, certificateId, { municipalityId: toMunicipalityId }, now);
}

/**
 * The registry closed the certificate (the child turned 18, left the region, or by decision): its
 * open applications are withdrawn and the child's active enrollments end, their seats offered on.
 *
 * The end reason is `withdrawn`: EnrollmentEnded (v1) knows completed, withdrawn and expelled,
 * and the child leaving because it may no longer attend on this certificate is a withdrawal on
 * the family's side, not a completed program nor the provider's expulsion. The subject is
 * "system"; the registry's event (causationId) says why. REVIEW: a reason of its own
 * (`certificate_closed`) needs EnrollmentEnded v2 and the catalogue consuming it.
 *
 * The child's row is locked first, as a submission and an acceptance do, so an offer accepted
 * concurrently either starts before (and is ended here) or sees the closed certificate.
 */
export async function closeCertificate(tx: PoolClient, certificateId: string, now: Date, cause: Cause): Promise<{ withdrawn: number; ended: number }> {
  const childId = await childOfCertificate(tx, certificateId);
  if (childId) await lockChild(tx, childId);
  await setCertificate(tx, certificateId, { status: "closed" }, now);
  const enrollments = childId ? await activeEnrollmentsOfChildById(tx, childId) : [];
  const applications = await openApplicationsOfCertificate(tx, certificateId);
  // Every group's queue lock at once, in one order, before any row.
  await lockGroupQueues(tx, [...enrollments, ...applications].map((r) => r.groupId));
  const withdrawn = await withdrawOpenApplicationsOfCertificate(tx, certificateId, "certificate_closed", now, cause);
  let ended = 0;
  for (const { id } of enrollments) {
    const enrollment = (await findEnrollment(tx, id, true))!;
    if (enrollment.status !== "active") continue;
    await closeEnrollment(tx, enrollment, "withdrawn", SYSTEM, now, cause);
    ended++;
  }
  return { withdrawn, ended };
}
