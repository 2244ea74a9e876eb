import { z } from "zod";
import { serviceConfig } from "@kruzhok/config";

export const AttendanceConfig = serviceConfig
  .extend({
    PORT: serviceConfig.shape.PORT.default(3004),
    /** How often the close job looks for months whose closing day has come. */
    MONTH_CLOSE_INTERVAL_MS: z.coerce.number().int().min(100).max(86_400_000).default(60_000),
    /**
     * Development only: the service's clock runs this many days ahead, so that a system test can
     * mark lessons and close a month that are still in the future. Refused in production.
     */
    CLOCK_OFFSET_DAYS: z.coerce.number().int().min(-3660).max(3660).default(0),
  })
  .superRefine((config, ctx) => {
    if (config.CLOCK_OFFSET_DAYS !== 0 && config.NODE_ENV === "production") {
      ctx.addIssue({ code: "custom", path: ["CLOCK_OFFSET_DAYS"], message: "is refused with NODE_ENV=production (the clock must be the real one)" });
    }
  });
export type AttendanceConfig = z.infer<typeof AttendanceConfig>;

/** The service's clock: the real one, shifted by CLOCK_OFFSET_DAYS in development. */
export function shiftedClock(clock: () => Date, offsetDays: number): () => Date {
  if (offsetDays === 0) return clock;
  const offset = offsetDays * 86_400_000;
  return () => new Date(clock().getTime() + offset);
}
