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
  STATISTICS_URL: serviceUrl(3006, "statistics"),
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
  PORTAL_PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
    .default("http://127.0.0.1:3000")
    .describe("The address people reach the portal at: the identity provider sends them back to <this>/sign-in/callback"),
  PORTAL_OIDC_CLIENT_ID: z.string().min(1).optional().describe("oidc mode: the portal's client id at the region's identity provider (AUTH_ISSUER)"),
  PORTAL_OIDC_CLIENT_SECRET: z.string().min(16, "must be at least 16 characters").optional().describe("oidc mode: the portal's client secret at the identity provider"),
  PORTAL_OIDC_SCOPE: z.string().min(1).default("openid profile").describe("oidc mode: the scopes the portal asks for"),
}).superRefine((config, ctx) => {
  // A production portal signs people in through the identity provider: it must be a client of it.
  if (config.AUTH_MODE !== "oidc") return;
  for (const key of ["PORTAL_OIDC_CLIENT_ID", "PORTAL_OIDC_CLIENT_SECRET"] as const) {
    if (config[key] === undefined) ctx.addIssue({ code: "custom", path: [key], message: "is required with AUTH_MODE=oidc" });
  }
});
export type PortalConfig = z.infer<typeof PortalConfig>;
