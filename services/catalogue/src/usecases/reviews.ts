import { v7 as uuidv7 } from "uuid";
import { requireRole, type Actor } from "@kruzhok/actor";
import type { Cause } from "@kruzhok/messaging";
import { catalogueError } from "../domain/errors";
import { decideReview } from "../domain/review";
import { findProgram } from "../store/programs";
import { findEnrollmentForReview, insertReview, type ReviewRow } from "../store/reviews";
import type { CatalogueDeps } from "../deps";
import { inTransaction } from "./transaction";

export interface ReviewCommand {
  programId: string;
  enrollmentId: string;
  rating: number;
  text: string;
}

/** A guardian of the child rates a program once per enrollment, after the child completed or left it; the rating shows in search. */
export async function reviewProgram(deps: CatalogueDeps, actor: Actor, command: ReviewCommand, cause: Cause): Promise<ReviewRow> {
  const guardianId = requireRole(actor, "guardian").guardianId ?? "";
  return inTransaction(deps, cause, async (write) => {
    const { tx, now } = write;
    const program = await findProgram(tx, command.programId);
    if (!program) throw catalogueError("PROGRAM_NOT_FOUND", `no program ${command.programId}`);
    const { enrollmentId, rating, text } = command;
    const enrollment = await findEnrollmentForReview(tx, enrollmentId);
    if (!enrollment) throw catalogueError("ENROLLMENT_NOT_FOUND", "no enrollment with this id has ended here", { field: "enrollmentId" });
    decideReview(program.id, guardianId, enrollment);
    const id = uuidv7({ msecs: now.getTime() });
    if (!(await insertReview(tx, { id, programId: program.id, enrollmentId, guardianId, rating, text }, now))) {
      throw catalogueError("REVIEW_EXISTS", "this enrollment has already been reviewed", { field: "enrollmentId" });
    }
    write.altersSearchIn(program.municipalityId);
    return { id, programId: program.id, rating, text, createdAt: now.toISOString() };
  });
}
