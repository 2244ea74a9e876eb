import { z } from "zod";
import { serviceConfig } from "@kruzhok/config";

export const CatalogueConfig = serviceConfig.extend({
  PORT: serviceConfig.shape.PORT.default(3002),
  SEARCH_CACHE_MAX_BYTES: z.coerce
    .number()
    .int("must be a whole number of bytes (1048576-4294967296)")
    .min(1_048_576, "must be a whole number of bytes (1048576-4294967296)")
    .max(4_294_967_296, "must be a whole number of bytes (1048576-4294967296)")
    .default(64 * 1024 * 1024)
    .describe("memory the navigator's answer cache may take: answers, their keys and the requests remembered (an eighth more at most)"),
  SEARCH_INDEX: z
    .enum(["on", "off"], { message: "must be on or off" })
    .default("on")
    .describe("whether each process holds every municipality's listed programs in memory and computes searches without words from them (off: Postgres computes every search)"),
  CALENDAR_SWEEP_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .default(300_000)
    .describe("how often groups past their last day are closed and certifications about to run out are warned of (each municipality's local day)"),
});
export type CatalogueConfig = z.infer<typeof CatalogueConfig>;
