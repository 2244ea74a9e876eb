import { z } from "zod";

/** One wrong field of a request: where it is and which rule it broke. */
export const InvalidParam = z.object({
  name: z.string().describe("Path of the field, e.g. body.child.birthDate"),
  reason: z.string().describe("The rule it broke, in words a person can act on"),
  rule: z.string().optional().describe("Machine-readable rule code, e.g. too_small"),
});
export type InvalidParam = z.infer<typeof InvalidParam>;

/** RFC 9457 problem document, with the stable `code` every Kruzhok error carries. */
export const ProblemDocument = z
  .object({
    type: z.string().describe("URI naming the problem type"),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string().optional(),
    instance: z.string().optional(),
    code: z.string().describe("Stable error code, e.g. ENROLLMENT.SEAT_TAKEN or HTTP.VALIDATION"),
    invalidParams: z.array(InvalidParam).optional(),
    requestId: z.string().optional(),
  })
  .describe("RFC 9457 problem details");
export type ProblemDocument = z.infer<typeof ProblemDocument>;
