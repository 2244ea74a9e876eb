import { z } from "zod";
import { defineEvent } from "../envelope";
import { Uuid } from "../primitives";
import { Topics } from "../topics";

/**
 * Enrollment asks the registry to make an `accounting` certificate `financed` when a child is
 * enrolled into a financed program; the registry answers with registry.certificate.financed or
 * registry.certificate.conversion-refused carrying the same requestId.
 */
export const CertificateConversionRequested = defineEvent(
  Topics.enrollment,
  "enrollment.certificate.conversion-requested",
  1,
  z.object({ certificateId: Uuid, requestId: z.string().min(1), year: z.number().int() }),
);

export const enrollmentEvents = [CertificateConversionRequested] as const;

// Seats and review rights in the catalogue follow these two. Ids only: no child's personal data.
const EnrollmentRef = { enrollmentId: Uuid, groupId: Uuid, programId: Uuid, childId: Uuid };

/** A contract was signed and the child now holds a seat in the group. */
export const EnrollmentStarted = defineEvent(Topics.enrollment, "enrollment.enrollment.started", 1, z.object(EnrollmentRef));

/** The child no longer holds the seat: completed the program, withdrawn by the family, or expelled. */
export const EnrollmentEnded = defineEvent(
  Topics.enrollment,
  "enrollment.enrollment.ended",
  1,
  z.object({ ...EnrollmentRef, reason: z.enum(["completed", "withdrawn", "expelled"]) }),
);

export const enrollmentSeatEvents = [EnrollmentStarted, EnrollmentEnded] as const;
