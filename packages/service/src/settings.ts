import { isIP } from "node:net";
import { ConfigError, type ServiceConfig } from "@kruzhok/config";
import { DEV_AUTH_SECRET, type AppOptions, type AuthConfig } from "@kruzhok/http";

/** The settings of a service's environment this file reads. */
type AuthKeys = Pick<
  ServiceConfig,
  | "NODE_ENV"
  | "HOST"
  | "AUTH_MODE"
  | "AUTH_JWKS_URL"
  | "AUTH_ISSUER"
  | "AUTH_AUDIENCE"
  | "AUTH_DEV_SECRET"
  | "AUTH_DEV_LISTEN_ANY"
  | "AUTH_MAX_TOKEN_LIFETIME_S"
>;

/** Whether `host` is a loopback address (or `localhost`): nothing off this machine reaches it. */
export function isLoopbackHost(host: string): boolean {
  if (host === "localhost" || host === "::1") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}

/**
 * How the service checks tokens, from AUTH_MODE, which has no default (parseConfig refuses a
 * missing one): a service never falls back to a secret that anyone can read.
 * - `oidc`: the identity provider's keys (AUTH_JWKS_URL) with AUTH_ISSUER and AUTH_AUDIENCE; the
 *   only mode NODE_ENV=production accepts.
 * - `development`: HS256 with AUTH_DEV_SECRET (the kit's public one when unset), on a loopback
 *   HOST only, unless AUTH_DEV_LISTEN_ANY=true says the service runs in a container whose port
 *   is published on the host's loopback alone (docker-compose.yml). Refused in production.
 * Keys of the other mode are refused rather than ignored, so that a half-changed environment
 * does not run in a mode its operator did not mean. Every refusal is named in one ConfigError.
 */
export function authConfigFrom(config: AuthKeys): AuthConfig {
  const problems: string[] = [];
  const production = config.NODE_ENV === "production";
  const oidcKeys = { AUTH_JWKS_URL: config.AUTH_JWKS_URL, AUTH_ISSUER: config.AUTH_ISSUER, AUTH_AUDIENCE: config.AUTH_AUDIENCE };
  const keysWhere = (set: boolean) =>
    Object.entries(oidcKeys)
      .filter(([, value]) => (value !== undefined) === set)
      .map(([key]) => key);
  const publicSecret = config.AUTH_DEV_SECRET === DEV_AUTH_SECRET;

  if (production) {
    if (config.AUTH_MODE === "development") {
      problems.push("AUTH_MODE=development is refused with NODE_ENV=production (anyone can mint tokens for a development secret); use AUTH_MODE=oidc");
    }
    if (publicSecret) problems.push("AUTH_DEV_SECRET is the public development secret, which production never accepts");
    if (config.AUTH_DEV_LISTEN_ANY) problems.push("AUTH_DEV_LISTEN_ANY=true is refused with NODE_ENV=production");
  }
  if (config.AUTH_MODE === "oidc") {
    const missing = keysWhere(false);
    if (missing.length > 0) problems.push(`AUTH_MODE=oidc needs ${missing.join(", ")}`);
    if (config.AUTH_DEV_SECRET !== undefined && !(production && publicSecret)) problems.push("AUTH_DEV_SECRET is read in AUTH_MODE=development only; unset it");
    if (config.AUTH_DEV_LISTEN_ANY && !production) problems.push("AUTH_DEV_LISTEN_ANY is read in AUTH_MODE=development only; unset it");
  } else if (!production) {
    if (!isLoopbackHost(config.HOST) && !config.AUTH_DEV_LISTEN_ANY) {
      problems.push(
        `AUTH_MODE=development listens on loopback only (HOST=127.0.0.1, ::1 or localhost), not HOST=${config.HOST}: ` +
          "whoever reaches it can mint any role; in a container published on the host's loopback only, set AUTH_DEV_LISTEN_ANY=true",
      );
    }
    const stray = keysWhere(true);
    if (stray.length > 0) problems.push(`${stray.join(", ")} ${stray.length === 1 ? "is" : "are"} read in AUTH_MODE=oidc only; unset or set AUTH_MODE=oidc`);
  }
  if (problems.length > 0) throw new ConfigError(`config: ${problems.join("; ")}`);

  const limits = { maxLifetimeSeconds: config.AUTH_MAX_TOKEN_LIFETIME_S };
  if (config.AUTH_MODE === "oidc" && config.AUTH_JWKS_URL && config.AUTH_ISSUER && config.AUTH_AUDIENCE) {
    return { mode: "oidc", jwksUrl: config.AUTH_JWKS_URL, issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE, ...limits };
  }
  return { mode: "dev", secret: config.AUTH_DEV_SECRET ?? DEV_AUTH_SECRET, ...limits };
}

/** The start log's words for the auth mode: what an operator checks first when tokens are refused. */
export function describeAuth(auth: AuthConfig, config: Pick<ServiceConfig, "HOST">): string {
  if (auth.mode === "oidc") return `oidc: issuer ${auth.issuer}, audience ${auth.audience}, keys from ${String(auth.jwksUrl)}`;
  const secret = auth.secret === DEV_AUTH_SECRET ? "the public development secret" : "AUTH_DEV_SECRET";
  return isLoopbackHost(config.HOST)
    ? `development: loopback only (${secret})`
    : `development: listening on ${config.HOST} (AUTH_DEV_LISTEN_ANY), reachable only where its port is published on loopback (${secret})`;
}

/**
 * What the environment says of the HTTP edge: the trusted proxies, and who may read /metrics and
 * /docs. /metrics tells the service's load and internals: in development (a loopback listener)
 * anyone who reaches it may read it; in oidc mode, without METRICS_ALLOW, the machine itself
 * only (a node-local agent, a sidecar, an operator's curl), so production names its scrapers.
 * /docs describes the API the repository already publishes: open unless DOCS_ALLOW says.
 */
export function httpEdgeFrom(
  config: Pick<ServiceConfig, "AUTH_MODE" | "TRUST_PROXY" | "METRICS_ALLOW" | "DOCS_ALLOW">,
): Pick<AppOptions, "trustProxy" | "access"> {
  const metrics = config.METRICS_ALLOW ?? (config.AUTH_MODE === "oidc" ? ["loopback"] : "any");
  const docs = config.DOCS_ALLOW ?? "any";
  return {
    ...(config.TRUST_PROXY !== undefined && { trustProxy: config.TRUST_PROXY }),
    access: {
      ...(metrics !== "any" && { metrics }),
      ...(docs !== "any" && { docs }),
    },
  };
}

/**
 * The service's clock: the real one, or, in development and tests only, the real one shifted by
 * CLOCK_OFFSET_DAYS, so that the system test can close a month that has not ended yet and have
 * every service it restarts agree on the day (a month closed by attendance in January is billed
 * by payments in January, after its new year). Production refuses an offset: money and
 * deadlines run on the real day.
 */
export function clockFrom(config: Pick<ServiceConfig, "NODE_ENV" | "CLOCK_OFFSET_DAYS">, clock: () => Date = () => new Date()): () => Date {
  if (config.CLOCK_OFFSET_DAYS === 0) return clock;
  if (config.NODE_ENV === "production") throw new ConfigError("CLOCK_OFFSET_DAYS is refused with NODE_ENV=production (the clock must be the real one)");
  const offset = config.CLOCK_OFFSET_DAYS * 86_400_000;
  return () => new Date(clock().getTime() + offset);
}
