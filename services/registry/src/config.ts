import type { z } from "zod";
import { serviceConfig } from "@kruzhok/config";

export const RegistryConfig = serviceConfig.extend({
  PORT: serviceConfig.shape.PORT.default(3001),
});
export type RegistryConfig = z.infer<typeof RegistryConfig>;
