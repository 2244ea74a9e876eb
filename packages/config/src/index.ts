import { z } from "zod";

/** The environment was missing a key or had a bad one; the message is one line naming each. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/**
 * Parse the environment once, at start. On failure the error names every missing or bad key in
 * one line (`config: DATABASE_URL is required; PORT must be ...`), which main.ts prints before
 * exiting, so an operator sees what to set without reading a stack trace.
 */
export function parseConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined> = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.join(".") || "(environment)";
    const missing = issue.code === "invalid_type" && env[key] === undefined;
    return missing ? `${key} is required` : `${key} ${issue.message}`;
  });
  throw new ConfigError(`config: ${problems.join("; ")}`);
}

const url = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(" or ")}` },
  );

/** Keys every service reads. A service extends this with its own. */
export const serviceConfig = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  HOST: z.string().default("0.0.0.0"),
  PORT: z.coerce.number({ error: "must be a port number (1-65535)" }).int("must be a port number (1-65535)").min(1).max(65_535),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  DATABASE_URL: url(["postgres:", "postgresql:"]).describe("admin connection; the service uses its own database on this server"),
  REDIS_URL: url(["redis:", "rediss:"]),
  KAFKA_BROKERS: z
    .string()
    .regex(/^[^,:\s]+:\d+(,[^,:\s]+:\d+)*$/, "must be host:port[,host:port...] (use 127.0.0.1, not localhost)"),
  AUTH_JWKS_URL: url(["https:", "http:"]).optional(),
  AUTH_ISSUER: z.string().optional(),
  AUTH_AUDIENCE: z.string().optional(),
  AUTH_DEV_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  CORS_ORIGINS: z
    .string()
    .default("")
    .transform((value) => value.split(",").map((origin) => origin.trim()).filter(Boolean)),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(600),
  OVERLOAD_MAX_IN_FLIGHT: z.coerce.number().int().positive().optional().describe("load shedding: requests in flight past which new ones get 503 + Retry-After; off when unset"),
  OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().positive().optional().describe("load shedding: event-loop delay past which new requests get 503; off when unset"),
  OVERLOAD_RETRY_AFTER_S: z.coerce.number().int().min(1).max(300).default(1).describe("the Retry-After of a shed request"),
  SERVICE_DATABASE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, "must be a lower-case database name")
    .optional()
    .describe("the service's database on the server of DATABASE_URL; the service's name by default"),
  TOPIC_PARTITIONS: z.coerce.number().int().min(1).max(64).default(6),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, "must be letters, digits, '.', '_' or '-'")
    .default("")
    .describe("prepended to every topic the service publishes to or consumes: keeps a benchmark or a second stack apart on a shared broker"),
  KAFKA_FAST_CONSUMERS: z.stringbool().default(false).describe("short session timeouts, for tests"),
  WORKERS: z.coerce
    .number()
    .int("must be a whole number of processes (1-32)")
    .min(1, "must be a whole number of processes (1-32)")
    .max(32, "must be a whole number of processes (1-32)")
    .default(1)
    .describe("replicas of the service run as processes on this machine, sharing its port (node:cluster); 1: the process itself serves"),
});
export type ServiceConfig = z.infer<typeof serviceConfig>;
