import { createHmac } from "node:crypto";
import { jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { HttpProblem } from "../src";
import { claimRulesOf, createTokenVerifier, DEV_AUDIENCE, DEV_ISSUER, MAX_TOKEN_LENGTH } from "../src/auth";

// The development verifier checks HS256 itself (node:crypto's HMAC, for speed). It must refuse
// every token jose's jwtVerify refuses with the same key and the same rules, and accept what it
// accepts among good tokens: each token below goes to both.

const secret = "corpus-secret-that-is-at-least-32-characters";
const key = new TextEncoder().encode(secret);
const config = { mode: "dev", secret } as const;
const rules = claimRulesOf(config);
const now = Math.floor(Date.now() / 1_000);

const b64 = (value: string | Uint8Array) => Buffer.from(value).toString("base64url");
const json = (value: unknown) => b64(JSON.stringify(value));
const hmac = (input: string, with_ = key) => createHmac("sha256", with_).update(input).digest("base64url");
/** Header and payload segments as given, signed with HS256 over exactly those characters. */
const signed = (headerText: string, payloadText: string, with_ = key) => `${headerText}.${payloadText}.${hmac(`${headerText}.${payloadText}`, with_)}`;

/** `value` as JSON with one more member whose string holds a byte that is no UTF-8 (a lone 0xff), base64url. */
const notUtf8 = (value: object) => {
  const text = JSON.stringify({ ...value, note: "\u0000" });
  const [before = "", after = ""] = text.split("\\u0000");
  return b64(Buffer.concat([Buffer.from(before), Buffer.from([0xff]), Buffer.from(after)]));
};

const header = { alg: "HS256", typ: "JWT" };
const claims = { sub: "corpus-user", role: "region", region_code: "41", iss: DEV_ISSUER, aud: DEV_AUDIENCE, iat: now, exp: now + 600 };
const token = (payload: unknown = claims, head: unknown = header) => signed(json(head), json(payload));
const without = (claim: keyof typeof claims) => Object.fromEntries(Object.entries(claims).filter(([name]) => name !== claim));

const good = token();
const [goodHeader = "", goodPayload = "", goodSignature = ""] = good.split(".");

/** Tokens jose refuses, by what is wrong with them. */
const refusedByJose: Record<string, string> = {
  "empty": "",
  "two segments": `${goodHeader}.${goodPayload}`,
  "four segments: the signature twice": `${good}.${goodSignature}`,
  "four segments: the payload twice": `${goodHeader}.${goodPayload}.${goodPayload}.${goodSignature}`,
  "an extra dot at the end": `${good}.`,
  "an empty signature": `${goodHeader}.${goodPayload}.`,
  "a signature cut short": `${goodHeader}.${goodPayload}.${goodSignature.slice(0, -2)}`,
  "a character outside base64url in the signature": `${goodHeader}.${goodPayload}.${goodSignature.slice(0, -1)}%`,
  "a header that is not base64url": signed("%%%", goodPayload),
  "a header that is not JSON": signed(b64("not json"), goodPayload),
  "a header that is not UTF-8": signed(notUtf8(header), goodPayload),
  "a header that is an array": signed(json(["HS256"]), goodPayload),
  "a header that is a string": signed(json("HS256"), goodPayload),
  "no alg": token(claims, { typ: "JWT" }),
  "alg none, unsigned": `${json({ alg: "none", typ: "JWT" })}.${goodPayload}.`,
  "alg none, signed anyway": token(claims, { alg: "none" }),
  "alg HS512 in the header, HS256 signature": token(claims, { alg: "HS512" }),
  "alg RS256 in the header, signed with the HS key": token(claims, { alg: "RS256" }),
  "alg ES256 in the header, signed with the HS key": token(claims, { alg: "ES256" }),
  "alg hs256 in lower case": token(claims, { alg: "hs256" }),
  "crit naming an unknown extension": token(claims, { ...header, crit: ["exp"], exp: 1 }),
  "crit empty": token(claims, { ...header, crit: [] }),
  "crit naming b64, b64 false (unencoded payload)": token(claims, { ...header, crit: ["b64"], b64: false }),
  "a payload changed after signing": `${goodHeader}.${json({ ...claims, role: "ministry" })}.${goodSignature}`,
  "signed with another key": signed(goodHeader, goodPayload, new TextEncoder().encode("another-secret-that-is-also-32-characters")),
  "a payload that is an array": token([claims]),
  "a payload that is a string": token("claims"),
  "a payload that is a number": token(42),
  "a payload that is null": token(null),
  "a payload that is not JSON": signed(goodHeader, b64("{not json")),
  "a payload that is not UTF-8": signed(goodHeader, notUtf8(claims)),
  "exp as a string": token({ ...claims, exp: String(now + 600) }),
  "exp NaN (JSON writes it as null)": token({ ...claims, exp: Number.NaN }),
  "exp as the string NaN": token({ ...claims, exp: "NaN" }),
  "iat as a string": token({ ...claims, iat: String(now) }),
  "nbf as a string": token({ ...claims, nbf: String(now) }),
  "exp in the past": token({ ...claims, iat: now - 600, exp: now - 60 }),
  "exp now": token({ ...claims, exp: now - 5 }),
  "nbf in the future": token({ ...claims, nbf: now + 3_600 }),
  "iat in the future beyond the tolerance": token({ ...claims, iat: now + 60 }),
  "iat longer ago than the longest lifetime": token({ ...claims, iat: now - rules.maxTokenAge - 60 }),
  "no exp": token(without("exp")),
  "no iat": token(without("iat")),
  "no sub": token(without("sub")),
  "no iss": token(without("iss")),
  "no aud": token(without("aud")),
  "another iss": token({ ...claims, iss: "someone-else" }),
  "another aud": token({ ...claims, aud: "elsewhere" }),
  "an aud array without ours": token({ ...claims, aud: ["elsewhere", "kruzhok-other"] }),
  "an aud that is a number": token({ ...claims, aud: 1 }),
  "an aud array holding ours as a nested array": token({ ...claims, aud: [[DEV_AUDIENCE]] }),
};

/**
 * Spellings jose 6 accepts (its base64url decoder skips whitespace and padding and ignores the
 * last character's unused bits) and both modes refuse before anything is decoded: with them one
 * token had many spellings, each a new cache entry.
 */
const refusedByShape: Record<string, string> = {
  "padding after the signature": `${good}=`,
  "whitespace inside the signature": `${goodHeader}.${goodPayload}.${goodSignature.slice(0, 10)} ${goodSignature.slice(10)}`,
  "a newline inside the signature": `${goodHeader}.${goodPayload}.${goodSignature.slice(0, 10)}\n${goodSignature.slice(10)}`,
  "a trailing space": `${good} `,
  "a leading space": ` ${good}`,
  "the signature's unused bits set": (() => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(goodSignature.at(-1) ?? "A");
    return `${goodHeader}.${goodPayload}.${goodSignature.slice(0, -1)}${alphabet[last + 1]}`;
  })(),
  "standard base64 characters": `${goodHeader}.${goodPayload}.${goodSignature.replace(/-/g, "+").replace(/_/g, "/")}+/`,
  "longer than the longest token": token({ ...claims, padding: "x".repeat(MAX_TOKEN_LENGTH) }),
};

/** Tokens both accept. */
const acceptedByBoth: Record<string, string> = {
  "a plain token": good,
  "an aud array holding ours": token({ ...claims, aud: ["elsewhere", DEV_AUDIENCE] }),
  "nbf in the past": token({ ...claims, nbf: now - 60 }),
  "iat a little ahead (within the tolerance)": token({ ...claims, iat: now + 3 }),
  "extra header members (kid, typ)": token(claims, { alg: "HS256", typ: "JWT", kid: "k1" }),
  "extra claims": token({ ...claims, jti: "j-1", scope: "openid" }),
  "a subject of 255 printable characters": token({ ...claims, sub: "s".repeat(255) }),
  // base64url writes 4 characters for 3 bytes: ~7,900 characters.
  "close to the longest token": token({ ...claims, padding: "x".repeat(5_800) }),
};

const verify = createTokenVerifier(config);
const devOutcome = (candidate: string) =>
  verify(candidate).then(
    () => "accepted",
    (error: unknown) => (error instanceof HttpProblem ? "refused" : `threw ${String(error)}`),
  );
const joseOutcome = (candidate: string) =>
  jwtVerify(candidate, key, { ...rules, algorithms: ["HS256"] }).then(
    () => "accepted",
    () => "refused",
  );

describe("the development verifier refuses what jose refuses", () => {
  it.each(Object.entries(refusedByJose))("%s", async (_name, candidate) => {
    expect(await joseOutcome(candidate)).toBe("refused");
    expect(await devOutcome(candidate)).toBe("refused");
  });
});

describe("the compact shape refuses other spellings of a token", () => {
  it.each(Object.entries(refusedByShape))("%s", async (_name, candidate) => {
    expect(await devOutcome(candidate)).toBe("refused");
  });
});

describe("both accept good tokens", () => {
  it.each(Object.entries(acceptedByBoth))("%s", async (_name, candidate) => {
    expect(candidate.length).toBeLessThanOrEqual(MAX_TOKEN_LENGTH);
    expect(await joseOutcome(candidate)).toBe("accepted");
    expect(await devOutcome(candidate)).toBe("accepted");
  });
});
