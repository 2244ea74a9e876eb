import { createHmac, hash, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { createRemoteJWKSet, errors, jwtVerify, SignJWT, type JWTVerifyGetKey } from "jose";
import { z } from "zod";
import { Role, crossMunicipalRoles, type Actor } from "@kruzhok/actor";
import { Uuid } from "@kruzhok/contracts";
import { BEARER_CHALLENGE, HttpProblem } from "./problems";

declare module "fastify" {
  interface FastifyRequest {
    /** Who is calling, from a verified bearer token; null on public routes called without one. */
    actor: Actor | null;
  }
  interface FastifyContextConfig {
    /** Route answers without a token (health, docs, sign-up). */
    public?: boolean;
  }
}

/**
 * OpenID Connect Core §2: a subject is at most 255 ASCII characters. It is the rate limit's key,
 * a log field and an audit column, so nothing longer (or unprintable) gets that far.
 */
export const MAX_SUBJECT_LENGTH = 255;

/**
 * A region's code as the registry records it (`regionCode` of a municipality, at most 20
 * characters): printable ASCII, so that it is safe as a log field and a cache estimate.
 */
export const RegionCodeClaim = z
  .string()
  .min(1)
  .max(20)
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII");

/**
 * The token's claims. Snake case, as OIDC claims are; a token missing the id its role implies
 * is refused here, so handlers never meet a guardian without a guardianId, nor a region
 * official without a region. `region_code` names the region a `region` token governs (required)
 * and the one a `ministry` token oversees; a federal ministry says `all_regions: true` instead
 * (one or the other, never both, never neither; `all_regions: false` says nothing). Other
 * roles' reach is their municipality: `all_regions: true` on them is refused (a scope they
 * cannot have), a `region_code` is ignored.
 */
export const TokenClaims = z
  .object({
    sub: z
      .string()
      .min(1)
      .max(MAX_SUBJECT_LENGTH)
      .regex(/^[\x21-\x7e]+$/, "must be printable ASCII"),
    role: Role,
    municipality_id: Uuid.optional(),
    provider_id: Uuid.optional(),
    guardian_id: Uuid.optional(),
    region_code: RegionCodeClaim.optional(),
    all_regions: z.boolean().optional(),
  })
  .superRefine((claims, ctx) => {
    const need = (key: "municipality_id" | "provider_id" | "guardian_id" | "region_code") => {
      if (claims[key] === undefined) ctx.addIssue({ code: "custom", path: [key], message: `role ${claims.role} needs ${key}` });
    };
    const allRegions = claims.all_regions === true;
    if (!crossMunicipalRoles.has(claims.role)) need("municipality_id");
    if (claims.role === "guardian") need("guardian_id");
    if (claims.role === "provider") need("provider_id");
    if (claims.role === "region") need("region_code");
    if (claims.role === "ministry" && !allRegions) need("region_code");
    if (allRegions && !(claims.role === "ministry" && claims.region_code === undefined)) {
      ctx.addIssue({ code: "custom", path: ["all_regions"], message: "all_regions: true belongs to a federal ministry alone, without region_code" });
    }
  })
  .transform(
    (claims): Actor => ({
      subject: claims.sub,
      role: claims.role,
      ...(claims.municipality_id && { municipalityId: claims.municipality_id }),
      ...(claims.provider_id && { providerId: claims.provider_id }),
      ...(claims.guardian_id && { guardianId: claims.guardian_id }),
      ...(crossMunicipalRoles.has(claims.role) && claims.region_code !== undefined && { regionCode: claims.region_code }),
      ...(claims.all_regions === true && { allRegions: true }),
    }),
  );

/** What both modes share: how long a token may live, and how much memory verified tokens may hold. */
interface TokenLimits {
  /** Longest `exp - iat` accepted, seconds; DEFAULT_MAX_TOKEN_LIFETIME_S otherwise. */
  maxLifetimeSeconds?: number;
  /** Budget of the verified-token cache, bytes (an estimate of the heap it holds); DEFAULT_TOKEN_CACHE_BYTES otherwise. */
  cacheBytes?: number;
}

/**
 * Production verifies against the identity provider's JWKS; development uses one HS256 secret
 * shared with `kruzhok token` (packages/cli), so a laptop needs no identity provider. Which one a service runs
 * with is its AUTH_MODE (packages/service, `authConfigFrom`): there is no default.
 */
export type AuthConfig =
  | ({ mode: "oidc"; jwksUrl: string | URL; issuer: string; audience: string; algorithms?: string[] } & TokenLimits)
  | ({ mode: "dev"; secret: string; issuer?: string; audience?: string } & TokenLimits);

export const DEV_ISSUER = "kruzhok-dev";
export const DEV_AUDIENCE = "kruzhok";
/**
 * The secret `kruzhok token` signs with when AUTH_DEV_SECRET is unset. It is public (it is in
 * this file and the README), so anyone can mint any role with it: a service accepts it only in
 * development mode on loopback, and never with NODE_ENV=production (`authConfigFrom`).
 */
export const DEV_AUTH_SECRET = "kruzhok-local-development-secret-not-for-production";
const MIN_SECRET_LENGTH = 32;

/**
 * 12 hours: a working day of an office clerk or an official on one sign-in. Identity providers
 * issue access tokens for minutes (Keycloak: 5 min by default) and refresh them, so a longer life
 * is a misconfiguration or a token minted with a stolen key; the cap bounds how long a leaked
 * token is worth anything, and how long a verified one may sit in the cache.
 */
export const DEFAULT_MAX_TOKEN_LIFETIME_S = 12 * 60 * 60;
/**
 * Longest token accepted, characters. Keycloak's tokens with many roles run to a few KiB; Node
 * refuses request headers past 16 KiB anyway. Checked before anything is decoded or hashed.
 */
export const MAX_TOKEN_LENGTH = 8_192;
/**
 * Sized for a municipality's opening day: every family that is checking its place at once
 * (an entry with a short subject is estimated at ~600 bytes: ~110,000 tokens). Per process.
 */
export const DEFAULT_TOKEN_CACHE_BYTES = 64 * 1024 * 1024;
/** The identity provider's clock and ours drift a little; jose's `clockTolerance`, seconds. */
const CLOCK_TOLERANCE_S = 5;

export type TokenVerifier = ((token: string) => Promise<Actor>) & {
  /**
   * The actor of a token verified before and not expired, without a promise: a family's phone
   * sends the same token with every request, and this is each one's common path (the request's
   * hook then completes without a turn of the microtask queue). Undefined: call the verifier.
   */
  cached(token: string): Actor | undefined;
};

function unauthenticated(detail: string, error?: "invalid_token"): HttpProblem {
  const challenge = error ? `${BEARER_CHALLENGE}, error="${error}", error_description="${detail}"` : BEARER_CHALLENGE;
  return new HttpProblem("AUTH.UNAUTHENTICATED", detail, { headers: { "www-authenticate": challenge } });
}

function devKey(secret: string): Uint8Array {
  if (secret.length < MIN_SECRET_LENGTH) throw new Error(`dev auth secret must be at least ${MIN_SECRET_LENGTH} characters`);
  return new TextEncoder().encode(secret);
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * One base64url spelling per byte string: only the alphabet (no padding, whitespace or other
 * characters, which decoders skip), and zero unused bits in the last character. Decoders ignore
 * those bits, so without this check a token had up to 16 spellings of its signature that all
 * verified, each a new cache entry.
 */
function isCanonicalBase64url(segment: string): boolean {
  if (!BASE64URL.test(segment)) return false;
  const last = segment.at(-1) ?? "";
  switch (segment.length % 4) {
    case 0:
      return true;
    case 2: // 12 bits written, 8 used: the last character's low 4 bits are zero
      return "AQgw".includes(last);
    case 3: // 18 bits written, 16 used: the last character's low 2 bits are zero
      return "AEIMQUYcgkosw048".includes(last);
    default: // a length of 4n+1 is no whole number of bytes
      return false;
  }
}

/**
 * The compact JWS serialization, strictly: three non-empty canonical base64url segments (header,
 * payload, signature), at most MAX_TOKEN_LENGTH characters. Checked before anything is decoded,
 * hashed or looked up, in both modes.
 */
export function isCompactJws(token: string): boolean {
  if (token.length > MAX_TOKEN_LENGTH) return false;
  const parts = token.split(".");
  return parts.length === 3 && parts.every(isCanonicalBase64url);
}

/** The cache's key for a token: its SHA-256, so the cache holds no credential and its entries have one size. */
export function tokenCacheKey(token: string): string {
  // One-shot `hash`: no Hash object per request (0.6 µs against 1.4 µs for a 600-character token).
  return hash("sha256", token, "base64url");
}

interface CachedActor {
  actor: Actor;
  expiresAtMs: number;
  bytes: number;
}

// What an entry costs beside its strings: the Map's slot, the entry and actor objects, the
// key's header. An estimate (V8 does not say), on the generous side.
const ENTRY_OVERHEAD_BYTES = 320;

/**
 * Verified tokens, until they expire: a client sends the same token with every request, and the
 * signature check is a large share of a cheap request's CPU. Keyed by the token's hash; bounded
 * by an estimate of the bytes it holds (strings counted at two bytes a character), not by a
 * count, so that long subjects cannot make it outgrow its budget. Oldest out first.
 */
export class TokenCache {
  private readonly entries = new Map<string, CachedActor>();
  private held = 0;

  constructor(readonly maxBytes: number = DEFAULT_TOKEN_CACHE_BYTES) {}

  /** Entries held now. */
  get size(): number {
    return this.entries.size;
  }

  /** Estimated bytes held now; never above `maxBytes`. */
  get bytes(): number {
    return this.held;
  }

  get(key: string, nowMs: number): Actor | undefined {
    const cached = this.entries.get(key);
    if (!cached) return undefined;
    if (cached.expiresAtMs > nowMs) return cached.actor;
    this.remove(key, cached);
    return undefined;
  }

  set(key: string, actor: Actor, expiresAtMs: number): void {
    const strings = [key, actor.subject, actor.role, actor.municipalityId, actor.providerId, actor.guardianId, actor.regionCode];
    const bytes = ENTRY_OVERHEAD_BYTES + 2 * strings.reduce((sum, text) => sum + (text?.length ?? 0), 0);
    if (bytes > this.maxBytes) return;
    const previous = this.entries.get(key);
    if (previous) this.remove(key, previous);
    for (const [oldest, entry] of this.entries) {
      if (this.held + bytes <= this.maxBytes) break;
      this.remove(oldest, entry);
    }
    this.entries.set(key, { actor, expiresAtMs, bytes });
    this.held += bytes;
  }

  private remove(key: string, entry: CachedActor): void {
    this.entries.delete(key);
    this.held -= entry.bytes;
  }
}

/**
 * The rules both modes check a token's claims by, in jose's `jwtVerify` options: issuer,
 * audience, `exp`, `iat` and `sub` present, `nbf`/`exp`/`iat` against the clock with a small
 * tolerance, `iat` not older than the longest lifetime. `exp - iat` itself is checked after.
 */
export interface ClaimRules {
  issuer: string;
  audience: string;
  clockTolerance: number;
  maxTokenAge: number;
  requiredClaims: string[];
}

export function claimRulesOf(config: AuthConfig): ClaimRules {
  return {
    issuer: config.mode === "dev" ? (config.issuer ?? DEV_ISSUER) : config.issuer,
    audience: config.mode === "dev" ? (config.audience ?? DEV_AUDIENCE) : config.audience,
    clockTolerance: CLOCK_TOLERANCE_S,
    maxTokenAge: config.maxLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_S,
    requiredClaims: ["exp", "iat", "sub"],
  };
}

/**
 * Verify a bearer token and turn its claims into an actor; throws 401 problems. `cache` is the
 * verifier's own unless a test hands one in to look at.
 */
export function createTokenVerifier(config: AuthConfig, cache = new TokenCache(config.cacheBytes)): TokenVerifier {
  const rules = claimRulesOf(config);
  let verify: (token: string) => Promise<{ payload: unknown }>;
  if (config.mode === "dev") {
    const check = hs256Verifier(devKey(config.secret), rules);
    verify = async (token) => ({ payload: check(token) });
  } else {
    const jwks: JWTVerifyGetKey = createRemoteJWKSet(new URL(config.jwksUrl));
    const options = { ...rules, algorithms: config.algorithms ?? ["RS256", "ES256", "PS256"] };
    verify = (token) => jwtVerify(token, jwks, options);
  }
  const verifyToken = async (token: string): Promise<Actor> => {
    if (!isCompactJws(token)) throw unauthenticated("The token is not valid", "invalid_token");
    const key = tokenCacheKey(token);
    const cached = cache.get(key, Date.now());
    if (cached) return cached;
    let payload: unknown;
    try {
      ({ payload } = await verify(token));
    } catch (error) {
      // An unreachable or broken JWKS is our outage, not the caller's bad token: let it be a 500.
      if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) throw error;
      if (error instanceof errors.JWTExpired) throw unauthenticated("The token has expired", "invalid_token");
      if (error instanceof errors.JOSEError) throw unauthenticated("The token is not valid", "invalid_token");
      throw error;
    }
    // Both verifiers made sure exp and iat are numbers.
    const { exp, iat } = payload as { exp: number; iat: number };
    if (!(exp - iat <= rules.maxTokenAge)) throw unauthenticated(`The token lives longer than ${rules.maxTokenAge} s`, "invalid_token");
    const claims = TokenClaims.safeParse(payload);
    if (!claims.success) throw unauthenticated("The token lacks the claims Kruzhok needs", "invalid_token");
    cache.set(key, claims.data, exp * 1_000);
    return claims.data;
  };
  // Only a token no longer than any verified one can be in the cache: nothing longer is hashed.
  const cached = (token: string): Actor | undefined => (token.length <= MAX_TOKEN_LENGTH ? cache.get(tokenCacheKey(token), Date.now()) : undefined);
  return Object.assign(verifyToken, { cached });
}

/** The JOSE errors of a refused token, as jose itself throws them, so callers treat both verifiers alike. */
function refused(reason: string): errors.JWTInvalid {
  return new errors.JWTInvalid(reason);
}

// jose decodes a header and a claims set as strict UTF-8: a malformed byte refuses the token.
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** A JSON object from a base64url segment, or undefined (not UTF-8, not JSON, not an object). */
function jsonObjectOf(segment: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(Buffer.from(segment, "base64url")));
  } catch {
    return undefined;
  }
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * HS256 checked with node:crypto's HMAC, synchronously. jose (6.x) imports a secret key into
 * WebCrypto anew on every verification and goes through its async job machinery, several times
 * the cost of the HMAC here and a large share of a cheap request's CPU (BENCHMARKS.md). It
 * refuses every token `jwtVerify` refuses with the same key and rules (test/jws-corpus.unit.test.ts
 * holds the two side by side), and a few more: any `crit` or `b64` header (jose accepts the
 * `b64` extension). The caller has checked the compact shape.
 */
function hs256Verifier(secret: Uint8Array, rules: ClaimRules): (token: string) => Record<string, unknown> {
  return (token) => {
    const [headerText = "", payloadText = "", signatureText = ""] = token.split(".");
    const header = jsonObjectOf(headerText);
    if (!header) throw new errors.JWSInvalid("header is not a base64url JSON object");
    if (header.alg !== "HS256") throw new errors.JOSEAlgNotAllowed("alg must be HS256");
    if (header.crit !== undefined || header.b64 !== undefined) throw new errors.JOSENotSupported("crit and b64 are not supported");
    const expected = createHmac("sha256", secret).update(`${headerText}.${payloadText}`).digest();
    const signature = Buffer.from(signatureText, "base64url");
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) throw new errors.JWSSignatureVerificationFailed();
    const claims = jsonObjectOf(payloadText);
    if (!claims) throw refused("JWT Claims Set must be a top-level JSON object");
    for (const claim of [...rules.requiredClaims, "iss", "aud"]) if (!Object.hasOwn(claims, claim)) throw refused(`missing required "${claim}" claim`);
    if (claims.iss !== rules.issuer) throw refused("unexpected iss");
    const audiences: unknown[] = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.includes(rules.audience)) throw refused("unexpected aud");
    const { exp, iat, nbf } = claims;
    if (typeof exp !== "number" || typeof iat !== "number" || (nbf !== undefined && typeof nbf !== "number")) throw refused("exp, iat and nbf must be numbers");
    const now = Math.floor(Date.now() / 1_000);
    const tolerance = rules.clockTolerance;
    if (nbf !== undefined && nbf > now + tolerance) throw refused("not yet valid (nbf)");
    if (exp <= now - tolerance) throw new errors.JWTExpired("token expired", claims);
    const age = now - iat;
    if (age - tolerance > rules.maxTokenAge) throw new errors.JWTExpired("issued too long ago (iat)", claims);
    if (age < -tolerance) throw refused("issued in the future (iat)");
    return claims;
  };
}

const BEARER = /^bearer +(.+)$/is;

/**
 * The bearer credentials of a request, all of them (`Bearer <token> junk` gives `<token> junk`,
 * which the verifier refuses: once, the words after the first space were dropped and the
 * token verified), or undefined when the request has no bearer authorization.
 */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  return BEARER.exec(header)?.[1];
}

export function missingToken(): HttpProblem {
  return unauthenticated("Send a bearer token in the Authorization header");
}

/**
 * The caller of a route, or 401 when the request carries no token. Every non-public route has
 * its actor by the time its handler runs (a request without one is refused before), so this
 * fails only on a route marked public; what the actor may do is the use case's to decide
 * (`@kruzhok/actor`).
 */
export function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw missingToken();
  return request.actor;
}

export interface DevTokenOptions {
  secret: string;
  /** jose time span: `1h`, `30m`, `2 days`. */
  ttl?: string;
  issuer?: string;
  audience?: string;
}

/**
 * The claims a token for `actor` carries (`sub`, `role` and the ids and scope its role implies,
 * snake case), checked against TokenClaims: what an identity provider's mapper puts in
 * Kruzhok's tokens.
 */
export function claimsOfActor(actor: Actor): { sub: string; role: string } & Record<string, string | boolean> {
  const claims = {
    sub: actor.subject,
    role: actor.role,
    municipality_id: actor.municipalityId,
    provider_id: actor.providerId,
    guardian_id: actor.guardianId,
    region_code: actor.regionCode,
    all_regions: actor.allRegions,
  };
  TokenClaims.parse(claims);
  return Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined)) as { sub: string; role: string } & Record<string, string | boolean>;
}

/** Sign a development token for `actor`, checked against the same claims schema. */
export async function signDevToken(actor: Actor, options: DevTokenOptions): Promise<string> {
  const { sub, ...custom } = claimsOfActor(actor);
  return new SignJWT(custom)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(sub)
    .setIssuer(options.issuer ?? DEV_ISSUER)
    .setAudience(options.audience ?? DEV_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.ttl ?? "1h")
    .sign(devKey(options.secret));
}
