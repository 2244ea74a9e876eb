import { catalogueError } from "./errors";

export interface EnrollmentFacts {
  programId: string;
  status: "active" | "ended";
  /** The child's guardians as the registry announced them. */
  guardianIds: readonly string[];
  alreadyReviewed: boolean;
}

/**
 * A guardian rates a program once per enrollment, after the child completed or left it (any
 * ended enrollment: completion, withdrawal or expulsion).
 */
export function decideReview(programId: string, guardianId: string, enrollment: EnrollmentFacts): void {
  if (enrollment.programId !== programId) {
    throw catalogueError("ENROLLMENT_NOT_FOUND", "this enrollment is not in this program", { field: "enrollmentId" });
  }
  if (!enrollment.guardianIds.includes(guardianId)) {
    throw catalogueError("NOT_YOUR_CHILD", "only a guardian of the enrolled child may review", { field: "enrollmentId" });
  }
  if (enrollment.status !== "ended") {
    throw catalogueError("ENROLLMENT_NOT_ENDED", "a program is reviewed once the child completed or left it", { field: "enrollmentId" });
  }
  if (enrollment.alreadyReviewed) {
    throw catalogueError("REVIEW_EXISTS", "this enrollment has already been reviewed", { field: "enrollmentId" });
  }
}
