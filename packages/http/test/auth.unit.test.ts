import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { FastifyRequest } from "fastify";
import { SignJWT } from "jose";
import type { Actor } from "@kruzhok/actor";
import { isDomainError } from "@kruzhok/errors";
import { createTokenVerifier, DEV_AUDIENCE, DEV_ISSUER, HttpProblem, requireActor, signDevToken, TokenClaims } from "../src";

const secret = "unit-secret-that-is-at-least-32-characters";
const municipalityId = randomUUID();
const codeOf = (action: () => unknown) => {
  try {
    action();
  } catch (error) {
    return error instanceof HttpProblem || isDomainError(error) ? error.code : "not a problem";
  }
  return "no error";
};
const requestOf = (actor: Actor | null) => ({ actor }) as FastifyRequest;

describe("claims to actor", () => {
  it("maps snake-case claims to an actor", () => {
    const guardianId = randomUUID();
    expect(TokenClaims.parse({ sub: "s", role: "guardian", municipality_id: municipalityId, guardian_id: guardianId })).toEqual({
      subject: "s",
      role: "guardian",
      municipalityId,
      guardianId,
    });
  });

  it("refuses a role without the id it implies, and an unknown role", () => {
    expect(TokenClaims.safeParse({ sub: "s", role: "guardian", municipality_id: municipalityId }).success).toBe(false);
    expect(TokenClaims.safeParse({ sub: "s", role: "provider", municipality_id: municipalityId }).success).toBe(false);
    expect(TokenClaims.safeParse({ sub: "s", role: "municipality" }).success).toBe(false);
    expect(TokenClaims.safeParse({ sub: "s", role: "admin" }).success).toBe(false);
    expect(TokenClaims.safeParse({ sub: "s", role: "region" }).success).toBe(true);
  });
});

describe("the actor of a request", () => {
  const provider: Actor = { subject: "p", role: "provider", municipalityId, providerId: randomUUID() };

  it("requireActor returns the actor, or refuses with 401", () => {
    expect(requireActor(requestOf(provider))).toBe(provider);
    expect(codeOf(() => requireActor(requestOf(null)))).toBe("AUTH.UNAUTHENTICATED");
  });
});

describe("development tokens", () => {
  const verify = createTokenVerifier({ mode: "dev", secret });
  const actor: Actor = { subject: "u-1", role: "operator", municipalityId };
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => "accepted",
      (error: unknown) => (error instanceof HttpProblem ? `${error.code} ${error.message}` : String(error)),
    );

  it("round-trips an actor", async () => {
    expect(await verify(await signDevToken(actor, { secret }))).toEqual(actor);
  });

  it("refuses another secret, another audience and an expired token", async () => {
    const other = "another-unit-secret-of-at-least-32-chars";
    const forged = await signDevToken(actor, { secret: other });
    expect(await refusal(verify(forged))).toBe("AUTH.UNAUTHENTICATED The token is not valid");
    const elsewhere = await signDevToken(actor, { secret, audience: "elsewhere" });
    expect(await refusal(verify(elsewhere))).toMatch(/^AUTH.UNAUTHENTICATED/);
    expect(await refusal(verify(await signDevToken(actor, { secret, ttl: "1 hour ago" })))).toBe(
      "AUTH.UNAUTHENTICATED The token has expired",
    );
    expect(await refusal(verify("not.a.jwt"))).toMatch(/^AUTH.UNAUTHENTICATED/);
  });

  it("refuses alg none, another alg, a tampered payload, a token not yet valid, and a malformed one", async () => {
    const token = await signDevToken(actor, { secret });
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>;
    expect(await refusal(verify(`${b64({ alg: "none", typ: "JWT" })}.${payload}.`))).toBe("AUTH.UNAUTHENTICATED The token is not valid");
    expect(await refusal(verify(`${b64({ alg: "HS512", typ: "JWT" })}.${payload}.${signature}`))).toBe("AUTH.UNAUTHENTICATED The token is not valid");
    expect(await refusal(verify(`${header}.${b64({ ...claims, role: "region" })}.${signature}`))).toBe("AUTH.UNAUTHENTICATED The token is not valid");
    const later = await new SignJWT({ role: "region" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("u-2")
      .setIssuer(DEV_ISSUER)
      .setAudience(DEV_AUDIENCE)
      .setNotBefore("1 hour")
      .setExpirationTime("2 hours")
      .sign(new TextEncoder().encode(secret));
    expect(await refusal(verify(later))).toBe("AUTH.UNAUTHENTICATED The token is not valid");
    expect(await refusal(verify(`${header}.${payload}`))).toBe("AUTH.UNAUTHENTICATED The token is not valid");
    expect(await refusal(verify(`${header}.%%%.${signature}`))).toBe("AUTH.UNAUTHENTICATED The token is not valid");
  });

  it("accepts a token whose audience is a list holding ours", async () => {
    const token = await new SignJWT({ role: "region" })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject("u-3")
      .setIssuer(DEV_ISSUER)
      .setAudience(["another", DEV_AUDIENCE])
      .setExpirationTime("1 hour")
      .sign(new TextEncoder().encode(secret));
    expect(await verify(token)).toEqual({ subject: "u-3", role: "region" });
  });

  it("refuses to start with a short secret", () => {
    expect(() => createTokenVerifier({ mode: "dev", secret: "short" })).toThrow(/at least 32/);
  });
});
