import { requireRole, type Actor } from "@kruzhok/actor";
import { CertificateClosed, CertificateMoved, CertificateResumed, CertificateSuspended, NotificationCertificateEnding } from "@kruzhok/contracts";
import { emit, type Cause } from "@kruzhok/messaging";
import { daysBetween, localDateOf, parseLocalDate } from "@kruzhok/time";
import { decide, type CertificateCommand } from "../domain/certificate";
import { registryError } from "../domain/errors";
import { certificatesEnding, certificateState, findCertificate, markEndingNoticed, saveCertificate, type CertificateRow } from "../store/certificates";
import { findMunicipality, releaseFinancedPlace } from "../store/municipalities";
import { findChild, moveChild, moveGuardiansWithChild } from "../store/people";
import type { RegistryDeps } from "../deps";
import { assertReaches, officeRoles } from "./access";
import { inRounds, inTransaction, type Write } from "./transaction";

/** The domain's commands, with where a move goes. */
export type LifecycleCommand = Exclude<CertificateCommand, { kind: "move" }> | { kind: "move"; toMunicipalityId: string };

/**
 * The office of the certificate's municipality, or its region, suspends, resumes, closes or
 * moves a certificate, as the domain decides, and announces it. The certificate's row is locked
 * first: one change at a time.
 */
export async function changeCertificate(
  deps: RegistryDeps,
  actor: Actor,
  command: { certificateId: string; change: LifecycleCommand },
  cause: Cause,
): Promise<CertificateRow> {
  requireRole(actor, ...officeRoles, "region");
  const { certificateId, change } = command;
  return inTransaction(deps, cause, async (write) => {
    const { tx, now } = write;
    const certificate = await findCertificate(tx, certificateId, true);
    if (!certificate) throw registryError("CERTIFICATE_NOT_FOUND", `no certificate ${certificateId}`);
    await assertReaches(tx, actor, certificate.municipalityId);
    const ref = { certificateId: certificate.id, number: certificate.number, childId: certificate.childId };
    const origin = { ...cause, municipalityId: certificate.municipalityId, aggregateId: certificate.id };
    const here = { municipalityId: certificate.municipalityId };

    switch (change.kind) {
      case "suspend": {
        const saved = await saveCertificate(tx, certificate.id, decide(certificateState(certificate), change), here, now);
        await emit(tx, CertificateSuspended, origin, { ...ref, reason: change.code }, now);
        return saved;
      }
      case "resume": {
        const saved = await saveCertificate(tx, certificate.id, decide(certificateState(certificate), change), here, now);
        await emit(tx, CertificateResumed, origin, ref, now);
        return saved;
      }
      case "close": {
        // A financed place stays counted: money may already have been spent from it this year.
        const next = decide(certificateState(certificate), change);
        const saved = await saveCertificate(tx, certificate.id, next, { ...here, closedComment: change.comment }, now);
        // The comment stays here (closed_comment): events say why by code only.
        await emit(tx, CertificateClosed, origin, { ...ref, reason: change.reason }, now);
        return saved;
      }
      case "move":
        return move(write, certificate, change.toMunicipalityId);
      default: {
        const exhaustive: never = change;
        return exhaustive;
      }
    }
  });
}

/**
 * Moving within the region keeps the number; the child (and the guardians whose family now lives
 * there) arrives on accounting status, and the old municipality gets back the place it financed
 * this year (its cap), once: the certificate arrives unfinanced, so a later move gives nothing back.
 */
async function move({ tx, now, cause }: Write, certificate: CertificateRow, toMunicipalityId: string): Promise<CertificateRow> {
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
  // The family's record moves with the child: the new office serves it, and a guardian signing in
  // is a guardian of the new municipality, where the certificate now is.
  await moveGuardiansWithChild(tx, certificate.childId, from.id, to.id);
  const saved = await saveCertificate(tx, certificate.id, next, { municipalityId: to.id }, now);
  await emit(
    tx,
    CertificateMoved,
    { ...cause, municipalityId: to.id, aggregateId: certificate.id },
    { certificateId: certificate.id, number: certificate.number, childId: certificate.childId, fromMunicipalityId: from.id, toMunicipalityId: to.id, funding: next.funding },
    now,
  );
  return saved;
}

/**
 * One round of certificates reaching their end, in every municipality's own zone: the family is
 * told a month before the child's 18th birthday (once), and on the birthday the certificate is
 * closed (reason turned_18) and the closure announced, so enrollment, payments and the rest stop
 * counting it that day. Rows are claimed with SKIP LOCKED: two registries sweeping share the work.
 */
export function sweepCertificateEnds(deps: RegistryDeps, options: { batch?: number } = {}): Promise<{ noticed: number; closed: number }> {
  const batch = options.batch ?? 500;
  const cause: Cause = {};
  return inRounds(deps, cause, batch, async ({ tx, now }) => {
    const soon = await certificatesEnding(tx, now, "notice", batch);
    for (const ending of soon) {
      const child = await findChild(tx, ending.childId);
      const municipality = await findMunicipality(tx, ending.municipalityId);
      if (!child || !municipality) continue;
      const daysLeft = Math.max(0, daysBetween(parseLocalDate(ending.today), parseLocalDate(ending.endsOn)));
      for (const guardianId of child.guardianIds) {
        await emit(
          tx,
          NotificationCertificateEnding,
          { ...cause, municipalityId: ending.municipalityId, aggregateId: guardianId },
          { guardianId, childId: child.id, locale: null, currency: municipality.currency, timeZone: municipality.timeZone, certificateId: ending.certificateId, endsOn: ending.endsOn, daysLeft },
          now,
        );
      }
    }
    await markEndingNoticed(tx, soon.map((e) => e.certificateId));
    const due = await certificatesEnding(tx, now, "close", batch);
    for (const ending of due) {
      const certificate = await findCertificate(tx, ending.certificateId);
      if (!certificate) continue;
      const next = decide(certificateState(certificate), { kind: "close", reason: "turned_18", comment: null });
      await saveCertificate(tx, certificate.id, next, { municipalityId: certificate.municipalityId }, now);
      await emit(
        tx,
        CertificateClosed,
        { ...cause, municipalityId: certificate.municipalityId, aggregateId: certificate.id },
        { certificateId: certificate.id, number: certificate.number, childId: certificate.childId, reason: "turned_18" },
        now,
      );
    }
    return { noticed: soon.length, closed: due.length };
  });
}
