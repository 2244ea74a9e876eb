import { z } from "zod";
import { serviceConfig } from "@kruzhok/config";

export const EnrollmentConfig = serviceConfig.extend({
  PORT: serviceConfig.shape.PORT.default(3003),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[^{}\s]*$/, "must not contain braces or spaces (the group's hash tag follows it)")
    .default("enrollment:")
    .describe("prepended to every queue key, `<prefix>{group:<id>}:queue`"),
  SWEEP_INTERVAL_MS: z.coerce.number().int().min(1_000).default(60_000).describe("how often offers expire and overdue reviews move on"),
  QUEUE_SYNC_INTERVAL_MS: z.coerce.number().int().min(50).default(500).describe("how often changed queues are copied to Redis"),
  QUEUE_SMALL_CELL_THRESHOLD: z.coerce
    .number()
    .int()
    .min(1)
    .default(10)
    .describe("per-category queue counts below this are withheld from the position a family or office reads"),
  QUEUE_CHECK_INTERVAL_MS: z.coerce.number().int().min(10_000).default(600_000).describe("how often the checker compares Redis with Postgres (and repairs)"),
  POSITION_ACCESS_LOG_ONE_IN: z.coerce
    .number()
    .int()
    .min(1)
    .default(100)
    .describe(
      "successful position lookups answered within 10 ms leave one access line in this many (1: every one); refusals, failures and slower answers always leave theirs, and the duration histogram counts every lookup",
    ),
  POSITION_STREAM_COALESCE_MS: z.coerce
    .number()
    .int()
    .min(50)
    .default(500)
    .describe("how long a group's queue changes are gathered before its open position streams are asked again"),
  POSITION_STREAM_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .default(20_000)
    .describe("open position streams one process holds; more are refused with 503 and Retry-After (BENCHMARKS.md: what one worker holds)"),
});
export type EnrollmentConfig = z.infer<typeof EnrollmentConfig>;
