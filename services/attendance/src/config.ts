import { z } from "zod";
import { serviceConfig } from "@kruzhok/config";

/** CLOCK_OFFSET_DAYS, which the system test sets to reach a month's close, is every service's (packages/config). */
export const AttendanceConfig = serviceConfig.extend({
  PORT: serviceConfig.shape.PORT.default(3004),
  /** How often the close job looks for months whose closing day has come. */
  MONTH_CLOSE_INTERVAL_MS: z.coerce.number().int().min(100).max(86_400_000).default(60_000),
});
export type AttendanceConfig = z.infer<typeof AttendanceConfig>;
