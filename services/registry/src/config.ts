import { z } from "zod";
import { serviceConfig } from "@kruzhok/config";

/**
 * Notification channels are optional: each is on only when its keys are set. A half-configured
 * channel (a webhook URL without its secret, an SMTP host without a sender) is refused at start
 * rather than silently left off.
 */
export const RegistryConfig = serviceConfig
  .extend({
    PORT: serviceConfig.shape.PORT.default(3001),
    SMTP_HOST: z.string().min(1).optional().describe("SMTP relay for notification email; email is off without it"),
    SMTP_PORT: z.coerce.number({ error: "must be a port number (1-65535)" }).int().min(1).max(65_535).default(25),
    SMTP_FROM: z.email("must be a mail address").optional().describe("envelope sender and From of notification email"),
    SMTP_SECURE: z
      .stringbool()
      .default(false)
      .describe("true: TLS from the first byte (port 465); false: STARTTLS when the relay offers it, required when SMTP_USER is set"),
    SMTP_USER: z.string().min(1).optional().describe("the relay's login; the password is sent only over TLS"),
    SMTP_PASS: z.string().min(1).optional().describe("the relay's password (from a secret; never logged)"),
    NOTIFY_WEBHOOK_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional().describe("receiver of signed notification webhooks; off without it"),
    NOTIFY_WEBHOOK_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
    CATEGORY_SWEEP_INTERVAL_MS: z.coerce
      .number()
      .int()
      .min(1_000)
      .default(600_000)
      .describe(
        "how often categories ending in 30 days and certificates ending in a month (the 18th birthday) are told to families, and ended ones announced or closed (each municipality's local day)",
      ),
    CHILD_IMPORT_INTERVAL_MS: z.coerce
      .number()
      .int()
      .min(100)
      .default(1_000)
      .describe("how often the worker looks for rows of bulk imports of children waiting (a round goes on until none waits)"),
  })
  .superRefine((config, ctx) => {
    if (config.SMTP_HOST && !config.SMTP_FROM) ctx.addIssue({ code: "custom", path: ["SMTP_FROM"], message: "is required with SMTP_HOST" });
    if (config.SMTP_USER && !config.SMTP_PASS) ctx.addIssue({ code: "custom", path: ["SMTP_PASS"], message: "is required with SMTP_USER" });
    if (config.SMTP_PASS && !config.SMTP_USER) ctx.addIssue({ code: "custom", path: ["SMTP_USER"], message: "is required with SMTP_PASS" });
    if (config.NOTIFY_WEBHOOK_URL && !config.NOTIFY_WEBHOOK_SECRET) {
      ctx.addIssue({ code: "custom", path: ["NOTIFY_WEBHOOK_SECRET"], message: "is required with NOTIFY_WEBHOOK_URL" });
    }
  });
export type RegistryConfig = z.infer<typeof RegistryConfig>;
