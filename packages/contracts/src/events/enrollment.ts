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
