import { z } from "zod";
import { serviceConfig } from "@kruzhok/config";

const serviceUrl = (port: number, name: string) =>
  z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).default(`http://127.0.0.1:${port}`).describe(`base URL of the ${name} service the portal calls`);

export const PortalConfig = serviceConfig.extend({
  PORT: serviceConfig.shape.PORT.default(3000),
  REGISTRY_URL: serviceUrl(3001, "registry"),
  CATALOGUE_URL: serviceUrl(3002, "catalogue"),
  ENROLLMENT_URL: serviceUrl(3003, "enrollment"),
  ATTENDANCE_URL: serviceUrl(3004, "attendance"),
  PAYMENTS_URL: serviceUrl(3005, "payments"),
  PORTAL_SESSION_TTL_S: z.coerce
    .number({ error: "must be a number of seconds" })
    .int()
    .min(300)
    .max(12 * 60 * 60)
    .default(8 * 60 * 60)
    .describe("How long a sign-in lasts (never longer than the token the services accept)"),
  PORTAL_SECURE_COOKIES: z
    .stringbool()
    .default(true)
    .describe("Cookies Secure and __Host- prefixed (browsers accept them from http://127.0.0.1 and localhost too); false only behind plain http on another host in development"),
  PORTAL_SERVICE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000).describe("How long a page waits for a service's answer"),
});
export type PortalConfig = z.infer<typeof PortalConfig>;
