import { isIP } from "node:net";
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
    const missing = (issue.code === "invalid_type" || issue.code === "invalid_value") && env[key] === undefined;
    if (!missing) return `${key} ${issue.message}`;
    // An enumeration without a default: say what to choose from.
    const values = issue.code === "invalid_value" ? issue.values.map(String) : [];
    return values.length > 0 ? `${key} is required (one of: ${values.join(", ")})` : `${key} is required`;
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

/** An IPv4 or IPv6 address, a CIDR range of them, or `loopback` (127.0.0.0/8 and ::1). */
function isAddressEntry(entry: string): boolean {
  if (entry === "loopback") return true;
  const [address = "", prefix, ...rest] = entry.split("/");
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

const entriesOf = (value: string) => value.split(",").map((entry) => entry.trim()).filter(Boolean);

/** The words of a list of addresses, for the messages of the keys that take one. */
const ADDRESS_LIST = "a comma-separated list of addresses, CIDR ranges or loopback";

/**
 * `TRUST_PROXY`: which peers may tell the client's address in X-Forwarded-For (Fastify's
 * `trustProxy`): a hop count, or the proxies' addresses. Unset: nobody, and X-Forwarded-For is
 * ignored. Never `true`: trusting every peer would let any client choose the address its rate
 * limit is counted under.
 */
const trustProxy = z
  .string()
  .transform((value, ctx): number | string[] => {
    const trimmed = value.trim();
    if (/^\d+$/.test(trimmed) && Number(trimmed) >= 1 && Number(trimmed) <= 10) return Number(trimmed);
    const entries = entriesOf(trimmed);
    if (entries.length > 0 && entries.every(isAddressEntry)) return entries;
    ctx.addIssue({ code: "custom", message: `must be a hop count (1-10) or ${ADDRESS_LIST} of the proxies (never true: any client could then choose its address)` });
    return z.NEVER;
  })
  .optional();

/** Who may call a route: `any`, or the client addresses allowed (after TRUST_PROXY). */
export type AddressAccess = "any" | string[];

const addressAccess = z
  .string()
  .transform((value, ctx): AddressAccess => {
    const trimmed = value.trim();
    if (trimmed === "any") return "any";
    const entries = entriesOf(trimmed);
    if (entries.length > 0 && entries.every(isAddressEntry)) return entries;
    ctx.addIssue({ code: "custom", message: `must be any or ${ADDRESS_LIST}` });
    return z.NEVER;
  })
  .optional();

/** How this service checks bearer tokens; no default, so that no service starts without a choice. */
export const AuthModes = ["oidc", "development"] as const;

/** Keys every service reads. A service extends this with its own. */
export const serviceConfig = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  HOST: z.string().min(1).default("127.0.0.1").describe("address to listen on; a container sets 0.0.0.0 (see AUTH_DEV_LISTEN_ANY for development mode)"),
  PORT: z.coerce.number({ error: "must be a port number (1-65535)" }).int("must be a port number (1-65535)").min(1).max(65_535),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  DATABASE_URL: url(["postgres:", "postgresql:"]).describe("admin connection; the service uses its own database on this server"),
  REDIS_URL: url(["redis:", "rediss:"]),
  KAFKA_BROKERS: z
    .string()
    .regex(/^[^,:\s]+:\d+(,[^,:\s]+:\d+)*$/, "must be host:port[,host:port...] (use 127.0.0.1, not localhost)"),
  AUTH_MODE: z
    .enum(AuthModes, { error: `must be one of: ${AuthModes.join(", ")}` })
    .describe("oidc: tokens signed by the identity provider (AUTH_JWKS_URL); development: the development secret, loopback only"),
  AUTH_JWKS_URL: url(["https:", "http:"]).optional(),
  AUTH_ISSUER: z.string().min(1).optional(),
  AUTH_AUDIENCE: z.string().min(1).optional(),
  AUTH_DEV_SECRET: z.string().min(32, "must be at least 32 characters").optional().describe("development mode only; the kit's public development secret when unset"),
  AUTH_DEV_LISTEN_ANY: z
    .stringbool()
    .default(false)
    .describe("development mode on a non-loopback HOST, for a container whose ports are published on the host's loopback only; refused with NODE_ENV=production"),
  AUTH_MAX_TOKEN_LIFETIME_S: z.coerce
    .number()
    .int("must be a whole number of seconds (60-604800)")
    .min(60, "must be a whole number of seconds (60-604800)")
    .max(604_800, "must be a whole number of seconds (60-604800)")
    .default(43_200)
    .describe("longest exp - iat of a token accepted; 12 h by default"),
  TRUST_PROXY: trustProxy.describe("hop count or addresses of the proxies whose X-Forwarded-For names the client; unset: X-Forwarded-For is ignored"),
  METRICS_ALLOW: addressAccess.describe("client addresses that may read /metrics, or any; default: any in development mode, loopback in oidc mode"),
  DOCS_ALLOW: addressAccess.describe("client addresses that may read /docs, or any (the default)"),
  CORS_ORIGINS: z
    .string()
    .default("")
    .transform((value) => value.split(",").map((origin) => origin.trim()).filter(Boolean)),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(600),
  OVERLOAD_MAX_IN_FLIGHT: z.coerce.number().int().positive().optional().describe("load shedding: requests in flight past which new ones get 503 + Retry-After; off when unset"),
  OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().positive().optional().describe("load shedding: event-loop delay past which new requests get 503; off when unset"),
  OVERLOAD_RETRY_AFTER_S: z.coerce.number().int().min(1).max(300).default(1).describe("the Retry-After of a shed request"),
  HTTP_HANDLER_TIMEOUT_MS: z.coerce
    .number()
    .int("must be a whole number of milliseconds (100-600000)")
    .min(100, "must be a whole number of milliseconds (100-600000)")
    .max(600_000, "must be a whole number of milliseconds (100-600000)")
    .default(60_000)
    .describe("a request not answered this long after it arrived gets 503 HTTP.TIMEOUT with Retry-After"),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce
    .number()
    .int("must be a whole number of milliseconds (100-600000)")
    .min(100, "must be a whole number of milliseconds (100-600000)")
    .max(600_000, "must be a whole number of milliseconds (100-600000)")
    .default(30_000)
    .describe("the whole request (headers and body) must arrive within it, or the connection gets 408 and is closed"),
  HTTP_CONNECTION_TIMEOUT_MS: z.coerce
    .number()
    .int("must be a whole number of milliseconds (1000-3600000)")
    .min(1_000, "must be a whole number of milliseconds (1000-3600000)")
    .max(3_600_000, "must be a whole number of milliseconds (1000-3600000)")
    .default(120_000)
    .describe("a connection idle this long is closed"),
  REDIS_COMMAND_TIMEOUT_MS: z.coerce
    .number()
    .int("must be a whole number of milliseconds (50-60000)")
    .min(50, "must be a whole number of milliseconds (50-60000)")
    .max(60_000, "must be a whole number of milliseconds (50-60000)")
    .default(1_000)
    .describe("a Redis command not answered this long fails; the caller goes on without Redis (rate limit off, positions from Postgres)"),
  PG_ACQUIRE_TIMEOUT_MS: z.coerce
    .number()
    .int("must be a whole number of milliseconds (100-60000)")
    .min(100, "must be a whole number of milliseconds (100-60000)")
    .max(60_000, "must be a whole number of milliseconds (100-60000)")
    .default(5_000)
    .describe("how long a request waits for a database connection before it gets 503 HTTP.DATABASE_UNAVAILABLE with Retry-After"),
  PG_STATEMENT_TIMEOUT_MS: z.coerce
    .number()
    .int("must be a whole number of milliseconds (100-600000)")
    .min(100, "must be a whole number of milliseconds (100-600000)")
    .max(600_000, "must be a whole number of milliseconds (100-600000)")
    .default(30_000)
    .describe("statement_timeout of the service's connections; a server that does not answer at all fails the query 5 s later"),
  SERVICE_DATABASE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, "must be a lower-case database name")
    .optional()
    .describe("the service's database on the server of DATABASE_URL; the service's name by default"),
  TOPIC_PARTITIONS: z.coerce.number().int().min(1).max(64).default(6),
  CLOCK_OFFSET_DAYS: z.coerce
    .number()
    .int("must be a whole number of days (-3660-3660)")
    .min(-3660, "must be a whole number of days (-3660-3660)")
    .max(3660, "must be a whole number of days (-3660-3660)")
    .default(0)
    .describe("development only: the service's clock runs this many days ahead, so that a system test can reach a month's close or a new year; refused with NODE_ENV=production"),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, "must be letters, digits, '.', '_' or '-'")
    .default("")
    .describe("prepended to every topic the service publishes to or consumes: keeps a benchmark or a second stack apart on a shared broker"),
  KAFKA_START_WAIT_MS: z.coerce
    .number()
    .int("must be a whole number of milliseconds (0-300000)")
    .min(0, "must be a whole number of milliseconds (0-300000)")
    .max(300_000, "must be a whole number of milliseconds (0-300000)")
    .default(15_000)
    .describe("how long a starting service waits for the broker before it listens without it (it consumes and publishes once the broker answers)"),
  KAFKA_FAST_CONSUMERS: z.stringbool().default(false).describe("short session timeouts, for tests"),
  MIGRATE_ONLY: z
    .stringbool()
    .default(false)
    .describe("create the service's database if missing, apply its migrations and exit (the migration Job of deploy/k8s); opens neither Redis nor Kafka"),
  WORKERS: z.coerce
    .number()
    .int("must be a whole number of processes (1-32)")
    .min(1, "must be a whole number of processes (1-32)")
    .max(32, "must be a whole number of processes (1-32)")
    .default(1)
    .describe("replicas of the service run as processes on this machine, sharing its port (node:cluster); 1: the process itself serves"),
});
export type ServiceConfig = z.infer<typeof serviceConfig>;
