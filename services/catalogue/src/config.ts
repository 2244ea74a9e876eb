import type { z } from "zod";
import { serviceConfig } from "@kruzhok/config";

export const CatalogueConfig = serviceConfig.extend({
  PORT: serviceConfig.shape.PORT.default(3002),
});
export type CatalogueConfig = z.infer<typeof CatalogueConfig>;
