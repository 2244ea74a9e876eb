import { z } from "zod";
import { serviceConfig } from "@kruzhok/config";

export const PaymentsConfig = serviceConfig.extend({
  PORT: serviceConfig.shape.PORT.default(3005),
  /** How often the new-year job looks for municipalities whose 1 January has come. */
  NEW_YEAR_INTERVAL_MS: z.coerce.number().int().min(100).max(86_400_000).default(60_000),
  /** Batch mode: the month summaries of one fetch of a partition billed in one transaction (billMonths); false: one transaction per event. */
  PAYMENTS_CONSUMER_BATCH: z.stringbool().default(true),
});
export type PaymentsConfig = z.infer<typeof PaymentsConfig>;
