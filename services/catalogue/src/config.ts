import { z } from "zod";
import { serviceConfig } from "@kruzhok/config";

export const CatalogueConfig = serviceConfig.extend({
  PORT: serviceConfig.shape.PORT.default(3002),
  SERVICE_DATABASE: z.string().regex(/^[a-z_][a-z0-9_]*$/).default("catalogue"),
  TOPIC_PARTITIONS: z.coerce.number().int().min(1).max(64).default(6),
});
export type CatalogueConfig = z.infer<typeof CatalogueConfig>;
