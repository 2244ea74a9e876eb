import type { Actor } from "@kruzhok/actor";
import { MarkReviewed, type MarkStatus } from "@kruzhok/contracts";
import { emit, type Cause } from "@kruzhok/messaging";
import { attendanceError } from "../domain/errors";
import { decideReview } from "../domain/review";
import { monthOf } from "../domain/rules";
import { findMark, reviewMark } from "../store/lessons";
import { isMonthClosed } from "../store/months";
import type { AttendanceDeps } from "../deps";
import { requireGuardianOf, requireMunicipalStaff } from "./access";
import { inTransaction } from "./transaction";

/**
 * A guardian confirms or disputes their child's marks, while the month is open; an operator or official of
 * the municipality resolves a dispute by setting the mark (kept with who, when, old and new).
 */
export async function reviewMarks(
  deps: AttendanceDeps,
  actor: Actor,
  command: { childId: string; marks: { lessonId: string; decision: "confirm" | "dispute" | "resolve"; status?: MarkStatus | undefined; note?: string | undefined }[] },
  cause: Cause,
): Promise<{ lessonId: string; status: MarkStatus; review: string }[]> {
  return inTransaction(deps, cause, async ({ tx, now, cause }) => {
    if (actor.role === "guardian") await requireGuardianOf(tx, actor, command.childId);
    const answers: { lessonId: string; status: MarkStatus; review: string }[] = [];
    for (const [index, item] of command.marks.entries()) {
      const mark = await findMark(tx, item.lessonId, command.childId);
      if (!mark) throw attendanceError("MARK_NOT_FOUND", `child ${command.childId} has no mark in lesson ${item.lessonId}`, { field: `marks.${index}.lessonId` });
      // The municipality's staff resolve disputes: its operators, and its officials (issue #18: the disputes to resolve).
      if (actor.role !== "guardian") await requireMunicipalStaff(tx, actor, mark.municipalityId, "operator", "municipality");
      const closed = await isMonthClosed(tx, mark.municipalityId, monthOf(mark.date));
      const next = decideReview({ role: actor.role, decision: item.decision, status: item.status }, { status: mark.status, review: mark.review, monthClosed: closed }, `marks.${index}.`);
      await reviewMark(tx, { lessonId: mark.lessonId, childId: mark.childId, oldStatus: mark.status, status: next.status, oldReview: mark.review, review: next.review }, { subject: actor.subject, role: actor.role }, now, item.note ?? null);
      await emit(
        tx,
        MarkReviewed,
        { ...cause, municipalityId: mark.municipalityId, aggregateId: mark.lessonId },
        { lessonId: mark.lessonId, childId: mark.childId, enrollmentId: mark.enrollmentId, review: next.review === "disputed" ? "disputed" : next.review === "resolved" ? "resolved" : "confirmed", status: next.status },
        now,
      );
      answers.push({ lessonId: mark.lessonId, status: next.status, review: next.review });
    }
    return answers;
  });
}
