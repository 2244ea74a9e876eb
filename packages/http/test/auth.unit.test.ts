import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { FastifyRequest } from "fastify";
import { SignJWT } from "jose";
import type { Actor } from "@kruzhok/actor";
import { isDomainError } from "@kruzhok/errors";
import { bearerToken, createTokenVerifier, DEV_AUDIENCE, DEV_ISSUER, HttpProblem, isCompactJws, requireActor, signDevToken, TokenCache, TokenClaims } from "../src";
import { tokenCacheKey } from "../src/auth";

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
    expect(TokenClaims.safeParse({ sub: "s", role: "region", region_code: "41" }).success).toBe(true);
  });

  it("a region token names its region, a ministry's its region or all regions; neither is refused (issue 12)", () => {
    const parse = (claims: Record<string, unknown>) => {
      const parsed = TokenClaims.safeParse({ sub: "s", ...claims });
      return parsed.success ? parsed.data : [...new Set(parsed.error.issues.map((issue) => issue.path.join(".")))].join(",");
    };
    expect(parse({ role: "region", region_code: "41" })).toEqual({ subject: "s", role: "region", regionCode: "41" });
    expect(parse({ role: "ministry", region_code: "41" })).toEqual({ subject: "s", role: "ministry", regionCode: "41" });
    expect(parse({ role: "ministry", all_regions: true })).toEqual({ subject: "s", role: "ministry", allRegions: true });
    expect(parse({ role: "ministry", region_code: "41", all_regions: false })).toEqual({ subject: "s", role: "ministry", regionCode: "41" });
    // Refused: no scope at all, a region that claims every region, both at once, a scope another role cannot have.
    expect(parse({ role: "region" })).toBe("region_code");
    expect(parse({ role: "ministry" })).toBe("region_code");
    expect(parse({ role: "ministry", all_regions: false })).toBe("region_code");
    expect(parse({ role: "region", all_regions: true })).toBe("region_code,all_regions");
    expect(parse({ role: "region", region_code: "41", all_regions: true })).toBe("all_regions");
    expect(parse({ role: "ministry", region_code: "41", all_regions: true })).toBe("all_regions");
    expect(parse({ role: "operator", municipality_id: municipalityId, all_regions: true })).toBe("all_regions");
    expect(parse({ role: "region", region_code: "" })).toBe("region_code");
    expect(parse({ role: "region", region_code: "4 1" })).toBe("region_code");
    expect(parse({ role: "region", region_code: "x".repeat(21) })).toBe("region_code");
    expect(parse({ role: "region", region_code: 41 })).toBe("region_code");
    // A municipal role's region_code (an identity provider may map it for everyone) is not its reach: dropped.
    expect(parse({ role: "operator", municipality_id: municipalityId, region_code: "41" })).toEqual({ subject: "s", role: "operator", municipalityId });
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

  it("answers a token it verified before without a promise, and no other (a forged one, one not yet seen, one too long)", async () => {
    const own = createTokenVerifier({ mode: "dev", secret });
    const token = await signDevToken(actor, { secret });
    expect(own.cached(token)).toBeUndefined();
    expect(await own(token)).toEqual(actor);
    expect(own.cached(token)).toEqual(actor);
    const forged = await signDevToken(actor, { secret: "another-unit-secret-of-at-least-32-chars" });
    await own(forged).catch(() => undefined);
    expect(own.cached(forged)).toBeUndefined();
    expect(own.cached(`${token}x`)).toBeUndefined();
    expect(own.cached("a".repeat(10_000))).toBeUndefined();
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
    const token = await new SignJWT({ role: "region", region_code: "41" })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject("u-3")
      .setIssuer(DEV_ISSUER)
      .setAudience(["another", DEV_AUDIENCE])
      .setIssuedAt()
      .setExpirationTime("1 hour")
      .sign(new TextEncoder().encode(secret));
    expect(await verify(token)).toEqual({ subject: "u-3", role: "region", regionCode: "41" });
  });

  it("refuses to start with a short secret", () => {
    expect(() => createTokenVerifier({ mode: "dev", secret: "short" })).toThrow(/at least 32/);
  });
});

describe("token rules of both modes", () => {
  const verify = createTokenVerifier({ mode: "dev", secret, maxLifetimeSeconds: 3_600 });
  const key = new TextEncoder().encode(secret);
  const now = Math.floor(Date.now() / 1_000);
  const sign = (claims: Record<string, unknown>) =>
    new SignJWT({ role: "region", region_code: "41", ...claims }).setProtectedHeader({ alg: "HS256" }).setIssuer(DEV_ISSUER).setAudience(DEV_AUDIENCE).sign(key);
  const outcome = (promise: Promise<unknown>) =>
    promise.then(
      () => "accepted",
      (error: unknown) => (error instanceof HttpProblem ? error.message : String(error)),
    );

  it("requires exp and iat, and refuses a token that lives longer than the configured lifetime", async () => {
    expect(await outcome(verify(await sign({ sub: "a", iat: now, exp: now + 3_600 })))).toBe("accepted");
    expect(await outcome(verify(await sign({ sub: "b", iat: now }))), "no exp").toBe("The token is not valid");
    expect(await outcome(verify(await sign({ sub: "c", exp: now + 60 }))), "no iat").toBe("The token is not valid");
    expect(await outcome(verify(await sign({ sub: "d", iat: now, exp: now + 3_601 })))).toBe("The token lives longer than 3600 s");
    // A year-long token issued a minute ago: young, but not allowed to live that long.
    expect(await outcome(verify(await sign({ sub: "e", iat: now - 60, exp: now + 365 * 86_400 })))).toBe("The token lives longer than 3600 s");
  });

  it("defaults the longest lifetime to 12 hours", async () => {
    const verifyDefault = createTokenVerifier({ mode: "dev", secret });
    expect(await outcome(verifyDefault(await sign({ sub: "f", iat: now, exp: now + 12 * 3_600 })))).toBe("accepted");
    expect(await outcome(verifyDefault(await sign({ sub: "g", iat: now, exp: now + 12 * 3_600 + 1 })))).toBe("The token lives longer than 43200 s");
  });

  it("caps the subject at 255 printable ASCII characters", async () => {
    expect(await outcome(verify(await sign({ sub: "s".repeat(255), iat: now, exp: now + 60 })))).toBe("accepted");
    expect(await outcome(verify(await sign({ sub: "s".repeat(256), iat: now, exp: now + 60 })))).toBe("The token lacks the claims Kruzhok needs");
    expect(await outcome(verify(await sign({ sub: "two words", iat: now, exp: now + 60 })))).toBe("The token lacks the claims Kruzhok needs");
    expect(await outcome(verify(await sign({ sub: "line\nbreak", iat: now, exp: now + 60 })))).toBe("The token lacks the claims Kruzhok needs");
    expect(TokenClaims.safeParse({ sub: "s".repeat(256), role: "region", region_code: "41" }).success).toBe(false);
  });

  it("takes only the compact shape: one spelling per token", async () => {
    const token = await sign({ sub: "h", iat: now, exp: now + 60 });
    expect(isCompactJws(token)).toBe(true);
    // Once verified, because the decoder skipped what it did not understand.
    for (const respelled of [`${token}=`, `${token}%`, `${token} `, `${token}\t`, `${token.slice(0, 20)} ${token.slice(20)}`]) {
      expect(isCompactJws(respelled)).toBe(false);
      expect(await outcome(verify(respelled))).toBe("The token is not valid");
    }
    expect(isCompactJws("a.b.c")).toBe(false); // a single base64url character is no whole byte
    expect(isCompactJws("YQ.YQ.YQ")).toBe(true);
    expect(isCompactJws("YR.YQ.YQ")).toBe(false); // "YR" sets bits "YQ" leaves zero
  });
});

describe("the bearer credentials of a request", () => {
  const request = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization } }) as FastifyRequest;

  it("takes everything after the scheme, so trailing words make the token invalid instead of being dropped", () => {
    expect(bearerToken(request("Bearer a.b.c"))).toBe("a.b.c");
    expect(bearerToken(request("bearer   a.b.c"))).toBe("a.b.c");
    expect(bearerToken(request("Bearer a.b.c junk"))).toBe("a.b.c junk");
    expect(bearerToken(request("Basic dXNlcjpwYXNz"))).toBeUndefined();
    expect(bearerToken(request("Bearer"))).toBeUndefined();
    expect(bearerToken(request())).toBeUndefined();
  });
});

describe("the verified-token cache", () => {
  const actor = (subject: string): Actor => ({ subject, role: "operator", municipalityId });

  it("is keyed by the token's hash: an entry costs the same for a short and a long token", () => {
    const cache = new TokenCache(1_000_000);
    cache.set(tokenCacheKey("a".repeat(100)), actor("same"), Date.now() + 60_000);
    const short = cache.bytes;
    cache.set(tokenCacheKey("b".repeat(8_000)), actor("same"), Date.now() + 60_000);
    expect(cache.bytes - short).toBe(short);
    expect(tokenCacheKey("b".repeat(8_000))).toHaveLength(43);
  });

  it("stays within its byte budget, oldest out first, whatever the subjects' length", () => {
    const cache = new TokenCache(64 * 1024);
    for (let i = 0; i < 2_000; i++) {
      cache.set(tokenCacheKey(`token-${i}`), actor(`${i}-${"s".repeat(i % 255)}`), Date.now() + 60_000);
      expect(cache.bytes).toBeLessThanOrEqual(64 * 1024);
    }
    expect(cache.size).toBeGreaterThan(40);
    expect(cache.size).toBeLessThan(200);
    expect(cache.get(tokenCacheKey("token-1999"), Date.now())?.subject).toMatch(/^1999-/);
    expect(cache.get(tokenCacheKey("token-0"), Date.now())).toBeUndefined();
  });

  it("forgets a token once it expires", () => {
    const cache = new TokenCache();
    const key = tokenCacheKey("t");
    cache.set(key, actor("x"), 1_000);
    expect(cache.get(key, 999)?.subject).toBe("x");
    expect(cache.get(key, 1_000)).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
  });

  it("holds a verified token once, under its hash", async () => {
    const cache = new TokenCache();
    const verify = createTokenVerifier({ mode: "dev", secret }, cache);
    const token = await signDevToken(actor("cached"), { secret });
    await verify(token);
    await verify(token);
    expect(cache.size).toBe(1);
    expect(cache.get(tokenCacheKey(token), Date.now())?.subject).toBe("cached");
    await verify(`${token}=`).catch(() => undefined);
    expect(cache.size).toBe(1);
  });
});
