import { z } from "zod";
import { serviceConfig } from "@kruzhok/config";

/**
 * The public development key: ids hashed with it are only as pseudonymous as a public key makes
 * them, so it is accepted in development mode alone.
 */
export const DEV_PSEUDONYM_KEY = "kruzhok-statistics-development-pseudonym-key";

export const StatisticsConfig = serviceConfig
  .extend({
    PORT: serviceConfig.shape.PORT.default(3006),
    STATISTICS_PSEUDONYM_KEY: z
      .string()
      .min(32, "must be at least 32 characters")
      .optional()
      .describe("HMAC key of the pseudonymous keys stored in place of child, certificate, application and enrollment ids; development mode has a public default"),
    STATISTICS_MIN_CELL: z.coerce
      .number({ error: "must be a whole number" })
      .int()
      .min(2)
      .max(1_000)
      .default(10)
      .describe("A cell counting fewer children than this is suppressed"),
    STATISTICS_PUBLISH_INTERVAL_MS: z.coerce
      .number({ error: "must be a number of milliseconds" })
      .int()
      .min(10)
      .max(60_000)
      .default(200)
      .describe("How often the changed blocks are recomputed and published"),
    STATISTICS_CONSUMER_BATCH: z
      .stringbool()
      .default(true)
      .describe("Consume in batch mode (the events of one fetch of a partition in one transaction); false: one transaction per event"),
  })
  .superRefine((config, ctx) => {
    if (!config.STATISTICS_PSEUDONYM_KEY && config.AUTH_MODE !== "development") {
      ctx.addIssue({ code: "custom", path: ["STATISTICS_PSEUDONYM_KEY"], message: "is required outside development mode" });
    }
  })
  .transform((config) => ({ ...config, STATISTICS_PSEUDONYM_KEY: config.STATISTICS_PSEUDONYM_KEY ?? DEV_PSEUDONYM_KEY }));
export type StatisticsConfig = z.infer<typeof StatisticsConfig>;
