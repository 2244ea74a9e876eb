import { v7 as uuidv7 } from "uuid";
import { requireRole, type Actor } from "@kruzhok/actor";
import { AbsenceNoticed, type AbsenceReason } from "@kruzhok/contracts";
import { emit, type Cause } from "@kruzhok/messaging";
import { attendanceError } from "../domain/errors";
import { decideNotice, groupReasons } from "../domain/notices";
import { rulesOn } from "../domain/rules";
import { localDate } from "../domain/schedule";
import { findNotice, insertNotice, recordProof, type NoticeRow } from "../store/notices";
import { enrollmentsOfChild } from "../store/projections";
import type { AttendanceDeps } from "../deps";
import { requireGroupProvider, requireGuardianOf } from "./access";
import { groupOf, municipalityOf, rulesOf } from "./context";
import { inTransaction } from "./transaction";

export interface NoticeCommand {
  childId: string | null;
  groupId: string | null;
  reason: AbsenceReason;
  from: string;
  to: string;
}

/**
 * A guardian notifies a child's absence; or the child's provider does, on the guardian's written
 * statement; or a provider notifies its group's quarantine or repairs (the organisation's order),
 * which covers every child of the group. The time of receipt is the clock's now, and the 09:00
 * rule is judged in the municipality's zone.
 */
export async function notifyAbsence(deps: AttendanceDeps, actor: Actor, command: NoticeCommand, cause: Cause): Promise<NoticeRow> {
  return inTransaction(deps, cause, async ({ tx, now, cause }) => {
    requireRole(actor, "guardian", "provider");
    let municipalityId: string;
    if (groupReasons.has(command.reason) || command.childId === null) {
      // A group's order: its provider, for its own group.
      if (command.groupId === null) throw attendanceError("NOTICE_SUBJECT", `${command.reason} covers a whole group: name the group and no child`, { field: "groupId" });
      const group = await groupOf(tx, command.groupId);
      requireGroupProvider(actor, group);
      municipalityId = group.municipalityId;
    } else if (actor.role === "guardian") {
      await requireGuardianOf(tx, actor, command.childId);
      const enrollments = await enrollmentsOfChild(tx, command.childId);
      if (enrollments.length === 0) throw attendanceError("CHILD_UNKNOWN", `child ${command.childId} has no enrollment attendance knows of`, { field: "childId" });
      municipalityId = enrollments[0]!.municipalityId;
    } else {
      // The provider on the guardian's written statement: for a child of one of its own groups
      // (the one named, or the child's group of this provider).
      const enrollments = await enrollmentsOfChild(tx, command.childId);
      let groupId = command.groupId;
      if (groupId === null) {
        for (const e of enrollments) if ((await groupOf(tx, e.groupId)).providerId === actor.providerId) groupId = e.groupId;
        if (groupId === null) throw attendanceError("NOT_YOUR_CHILD", `child ${command.childId} is in none of your groups`, { field: "childId" });
      }
      const group = await groupOf(tx, groupId);
      requireGroupProvider(actor, group);
      if (!enrollments.some((e) => e.groupId === group.id)) throw attendanceError("NOT_ON_ROSTER", `child ${command.childId} is not in the group`, { field: "childId" });
      municipalityId = group.municipalityId;
    }
    const municipality = await municipalityOf(tx, municipalityId);
    // The rules in force on the absence's first day: its notice deadline, proof window and vacation cap.
    const rules = rulesOn(await rulesOf(tx, municipality, Number(command.from.slice(0, 4))), command.from);
    const decided = decideNotice(command, municipality.timeZone, rules, now);
    const notice = {
      id: uuidv7({ msecs: now.getTime() }),
      municipalityId,
      childId: groupReasons.has(command.reason) ? null : command.childId,
      groupId: command.groupId,
      reason: command.reason,
      from: command.from,
      to: command.to,
      receivedAt: now,
      onTime: decided.onTime,
      proofDueOn: decided.proofDueOn,
      proofAt: null,
      proofRef: null,
      submittedBy: actor.subject,
      submittedRole: actor.role,
    };
    await insertNotice(tx, notice);
    await emit(
      tx,
      AbsenceNoticed,
      { ...cause, municipalityId, aggregateId: notice.id },
      {
        noticeId: notice.id,
        childId: notice.childId,
        groupId: notice.groupId,
        reason: notice.reason,
        from: notice.from,
        to: notice.to,
        receivedAt: now.toISOString(),
        onTime: notice.onTime,
        proofDueOn: notice.proofDueOn,
      },
      now,
    );
    return notice;
  });
}

/**
 * The proof of a notice (a medical certificate's number, the order's number) is supplied: by a
 * guardian of the child, or by the provider of the group. Its time is recorded; whether it came
 * within the window is judged at month close.
 */
export async function supplyProof(deps: AttendanceDeps, actor: Actor, command: { noticeId: string; reference: string }, cause: Cause): Promise<NoticeRow & { proofLate: boolean }> {
  return inTransaction(deps, cause, async ({ tx, now }) => {
    const notice = await findNotice(tx, command.noticeId, true);
    if (!notice) throw attendanceError("NOTICE_NOT_FOUND", `no notice ${command.noticeId}`);
    if (notice.childId !== null && actor.role === "guardian") await requireGuardianOf(tx, actor, notice.childId);
    else if (notice.groupId !== null) requireGroupProvider(actor, await groupOf(tx, notice.groupId));
    else requireRole(actor, "guardian");
    if (notice.proofDueOn === null) throw attendanceError("PROOF_NOT_NEEDED", `a ${notice.reason} notice needs no proof`);
    await recordProof(tx, notice.id, command.reference, now);
    const municipality = await municipalityOf(tx, notice.municipalityId);
    return { ...notice, proofAt: now, proofRef: command.reference, proofLate: localDate(now, municipality.timeZone) > notice.proofDueOn };
  });
}
