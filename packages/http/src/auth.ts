import { createHmac, timingSafeEqual } from "node:crypto";
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
 * The token's claims. Snake case, as OIDC claims are; a token missing the id its role implies
 * is refused here, so handlers never meet a guardian without a guardianId.
 */
export const TokenClaims = z
  .object({
    sub: z.string().min(1),
    role: Role,
    municipality_id: Uuid.optional(),
    provider_id: Uuid.optional(),
    guardian_id: Uuid.optional(),
  })
  .superRefine((claims, ctx) => {
    const need = (key: "municipality_id" | "provider_id" | "guardian_id") => {
      if (claims[key] === undefined) ctx.addIssue({ code: "custom", path: [key], message: `role ${claims.role} needs ${key}` });
    };
    if (!crossMunicipalRoles.has(claims.role)) need("municipality_id");
    if (claims.role === "guardian") need("guardian_id");
    if (claims.role === "provider") need("provider_id");
  })
  .transform(
    (claims): Actor => ({
      subject: claims.sub,
      role: claims.role,
      ...(claims.municipality_id && { municipalityId: claims.municipality_id }),
      ...(claims.provider_id && { providerId: claims.provider_id }),
      ...(claims.guardian_id && { guardianId: claims.guardian_id }),
    }),
  );

/**
 * Production verifies against the identity provider's JWKS; development uses one HS256 secret
 * shared with `mint-token.ts`, so a laptop needs no identity provider.
 */
export type AuthConfig =
  | { mode: "oidc"; jwksUrl: string | URL; issuer: string; audience: string; algorithms?: string[] }
  | { mode: "dev"; secret: string; issuer?: string; audience?: string };

export const DEV_ISSUER = "kruzhok-dev";
export const DEV_AUDIENCE = "kruzhok";
/**
 * The secret `mint-token.ts` signs with when AUTH_DEV_SECRET is unset. It is public (it is in
 * this file), so a service must never accept it outside a developer's machine.
 */
export const DEV_AUTH_SECRET = "kruzhok-local-development-secret-not-for-production";
const MIN_SECRET_LENGTH = 32;

export type TokenVerifier = (token: string) => Promise<Actor>;

function unauthenticated(detail: string, error?: "invalid_token"): HttpProblem {
  const challenge = error ? `${BEARER_CHALLENGE}, error="${error}", error_description="${detail}"` : BEARER_CHALLENGE;
  return new HttpProblem("AUTH.UNAUTHENTICATED", detail, { headers: { "www-authenticate": challenge } });
}

function devKey(secret: string): Uint8Array {
  if (secret.length < MIN_SECRET_LENGTH) throw new Error(`dev auth secret must be at least ${MIN_SECRET_LENGTH} characters`);
  return new TextEncoder().encode(secret);
}

/** Verify a bearer token and turn its claims into an actor; throws 401 problems. */
export function createTokenVerifier(config: AuthConfig): TokenVerifier {
  const options = {
    ...(config.mode === "dev"
      ? { issuer: config.issuer ?? DEV_ISSUER, audience: config.audience ?? DEV_AUDIENCE, algorithms: ["HS256"] }
      : { issuer: config.issuer, audience: config.audience, algorithms: config.algorithms ?? ["RS256", "ES256", "PS256"] }),
    // The identity provider's clock and ours drift a little.
    clockTolerance: 5,
  };
  let verify: (token: string) => Promise<{ payload: unknown }>;
  if (config.mode === "dev") {
    const check = hs256Verifier(devKey(config.secret), options);
    verify = async (token) => ({ payload: check(token) });
  } else {
    const jwks: JWTVerifyGetKey = createRemoteJWKSet(new URL(config.jwksUrl));
    verify = (token) => jwtVerify(token, jwks, options);
  }
  // Verified tokens, kept until they expire: a client sends the same token with every request,
  // and the signature check is a large share of a cheap request's CPU. Bounded; oldest out first.
  // Sized for a municipality's opening day: every family that is checking its place at once.
  // Oldest out first; an entry is a token and an actor, ~1 KB.
  const verified = new Map<string, { actor: Actor; expiresAtMs: number }>();
  const MAX_CACHED = 100_000;
  return async (token) => {
    const cached = verified.get(token);
    if (cached && cached.expiresAtMs > Date.now()) return cached.actor;
    if (cached) verified.delete(token);
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
    const claims = TokenClaims.safeParse(payload);
    if (!claims.success) throw unauthenticated("The token lacks the claims Kruzhok needs", "invalid_token");
    const exp = (payload as { exp?: unknown }).exp;
    if (typeof exp === "number") {
      if (verified.size >= MAX_CACHED) verified.delete(verified.keys().next().value!);
      verified.set(token, { actor: claims.data, expiresAtMs: exp * 1_000 });
    }
    return claims.data;
  };
}

/** The JOSE errors of a refused token, as jose itself throws them, so callers treat both verifiers alike. */
function refused(reason: string): errors.JWTInvalid {
  return new errors.JWTInvalid(reason);
}

const base64url = (text: string) => Buffer.from(text, "base64url");

/**
 * HS256 checked with node:crypto's HMAC, synchronously. jose (6.x) imports a secret key into
 * WebCrypto anew on every verification and goes through its async job machinery, several times
 * the cost of the HMAC here and a large share of a cheap request's CPU (BENCHMARKS.md). The same
 * checks as jwtVerify with these options: the header's alg is HS256 exactly (never "none" or
 * another key type), the signature, then iss, aud, exp and nbf with the clock tolerance.
 */
function hs256Verifier(secret: Uint8Array, options: { issuer: string; audience: string; clockTolerance: number }): (token: string) => unknown {
  return (token) => {
    const parts = token.split(".");
    if (parts.length !== 3) throw refused("not a compact JWS");
    const [headerText, payloadText, signatureText] = parts as [string, string, string];
    let header: unknown;
    let payload: unknown;
    try {
      header = JSON.parse(base64url(headerText).toString("utf8"));
      payload = JSON.parse(base64url(payloadText).toString("utf8"));
    } catch {
      throw refused("header or payload is not base64url JSON");
    }
    if (typeof header !== "object" || header === null || (header as { alg?: unknown }).alg !== "HS256") throw refused("alg must be HS256");
    if ((header as { crit?: unknown }).crit !== undefined) throw refused("crit is not supported");
    const expected = createHmac("sha256", secret).update(`${headerText}.${payloadText}`).digest();
    const signature = base64url(signatureText);
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) throw new errors.JWSSignatureVerificationFailed();
    if (typeof payload !== "object" || payload === null || Array.isArray(payload)) throw refused("payload must be an object");
    const claims = payload as { iss?: unknown; aud?: unknown; exp?: unknown; nbf?: unknown };
    if (claims.iss !== options.issuer) throw refused("unexpected iss");
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.includes(options.audience)) throw refused("unexpected aud");
    const now = Math.floor(Date.now() / 1_000);
    if (claims.exp !== undefined) {
      if (typeof claims.exp !== "number") throw refused("exp must be a number");
      if (claims.exp <= now - options.clockTolerance) throw new errors.JWTExpired("token expired", claims as Record<string, unknown>);
    }
    if (claims.nbf !== undefined && (typeof claims.nbf !== "number" || claims.nbf > now + options.clockTolerance)) throw refused("not yet valid");
    return payload;
  };
}

/** The bearer token of a request, or undefined when there is none. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const [scheme, token] = header.split(" ", 2);
  return scheme?.toLowerCase() === "bearer" && token ? token.trim() : undefined;
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

/** Sign a development token for `actor`, checked against the same claims schema. */
export async function signDevToken(actor: Actor, options: DevTokenOptions): Promise<string> {
  const claims = {
    sub: actor.subject,
    role: actor.role,
    municipality_id: actor.municipalityId,
    provider_id: actor.providerId,
    guardian_id: actor.guardianId,
  };
  TokenClaims.parse(claims);
  const { sub, ...ids } = claims;
  const custom = Object.fromEntries(Object.entries(ids).filter(([, value]) => value !== undefined));
  return new SignJWT(custom)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(sub)
    .setIssuer(options.issuer ?? DEV_ISSUER)
    .setAudience(options.audience ?? DEV_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.ttl ?? "1h")
    .sign(devKey(options.secret));
}
