import type { Role } from "@kruzhok/actor";
import type { MarkStatus } from "@kruzhok/contracts";
import { attendanceError } from "./errors";

type Review = "none" | "confirmed" | "disputed" | "resolved";

/**
 * A guardian confirms or disputes a mark while its month is open (a confirmed mark may still be
 * disputed, and the other way round); the municipality's staff (an operator or an official) resolves a disputed one by saying what the mark
 * is, which ends the dispute. A closed month takes no reviews: the municipality reopens it first.
 */
export function decideReview(
  command: { role: Role; decision: "confirm" | "dispute" | "resolve"; status?: MarkStatus | undefined },
  mark: { status: MarkStatus; review: Review; monthClosed: boolean },
  field = "",
): { status: MarkStatus; review: Review } {
  if (mark.monthClosed) throw attendanceError("MONTH_CLOSED", "the month is closed; the municipality may reopen it", { field: `${field}lessonId` });
  if (command.role === "guardian") {
    if (command.decision === "resolve") throw attendanceError("NOT_DISPUTED", "a guardian confirms or disputes; an operator resolves", { field: `${field}decision` });
    if (mark.review === "resolved") throw attendanceError("NOT_DISPUTED", "an operator has resolved this mark", { field: `${field}decision` });
    return { status: mark.status, review: command.decision === "confirm" ? "confirmed" : "disputed" };
  }
  if (command.decision !== "resolve") throw attendanceError("NOT_DISPUTED", "an operator resolves disputes; guardians confirm and dispute", { field: `${field}decision` });
  if (mark.review !== "disputed") throw attendanceError("NOT_DISPUTED", "the mark is not disputed", { field: `${field}lessonId` });
  return { status: command.status ?? mark.status, review: "resolved" };
}
