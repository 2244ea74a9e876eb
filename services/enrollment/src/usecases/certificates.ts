import type { PoolClient } from "@kruzhok/postgres";
import { OPEN_STATUSES, lockGroupQueues } from "../store/applications";
import { findEnrollment } from "../store/enrollments";
import { lockChild, setCertificate } from "../store/reference";
import { withdrawOpenApplicationsOfCertificate } from "./applications";
import { SYSTEM, closeEnrollment } from "./offers";
import type { Origin } from "./seats";

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
export async function closeCertificate(tx: PoolClient, certificateId: string, now: Date, origin: Origin): Promise<{ withdrawn: number; ended: number }> {
  const { rows: certificates } = await tx.query<{ childId: string }>(`SELECT child_id AS "childId" FROM certificates WHERE id = $1`, [certificateId]);
  const childId = certificates[0]?.childId;
  if (childId) await lockChild(tx, childId);
  await setCertificate(tx, certificateId, { status: "closed" }, now);
  const { rows: enrollments } = await tx.query<{ id: string; groupId: string }>(
    `SELECT id, group_id AS "groupId" FROM enrollments WHERE child_id = $1 AND status = 'active' ORDER BY id`,
    [childId ?? null],
  );
  const { rows: applications } = await tx.query<{ groupId: string }>(
    `SELECT group_id AS "groupId" FROM applications WHERE certificate_id = $1 AND status = ANY($2)`,
    [certificateId, OPEN_STATUSES],
  );
  // Every group's queue lock at once, in one order, before any row.
  await lockGroupQueues(tx, [...enrollments, ...applications].map((r) => r.groupId));
  const withdrawn = await withdrawOpenApplicationsOfCertificate(tx, certificateId, "certificate_closed", now, origin);
  let ended = 0;
  for (const { id } of enrollments) {
    const enrollment = (await findEnrollment(tx, id, true))!;
    if (enrollment.status !== "active") continue;
    await closeEnrollment(tx, enrollment, "withdrawn", SYSTEM, now, origin);
    ended++;
  }
  return { withdrawn, ended };
}
