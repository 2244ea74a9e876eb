import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolate, type Isolation } from "@kruzhok/testkit";
import { DEV_AUDIENCE, DEV_AUTH_SECRET, DEV_ISSUER, routesOf, signDevToken } from "../src";
import { buildTestApp, guardian, SECRET, type TestApp } from "./fixtures/app";

const municipalityId = randomUUID();
const body = { municipalityId, child: { firstName: "Ян", lastName: "Ли", birthDate: "2015-01-01" } };

describe("bearer authentication and tenancy", () => {
  let iso: Isolation;
  let t: TestApp;
  beforeAll(async () => {
    iso = await isolate("http-auth");
    t = await buildTestApp(iso);
  });
  afterAll(async () => {
    await t.close();
    await iso.cleanup();
  });

  const post = (headers: Record<string, string>) => t.app.inject({ method: "POST", url: "/children", headers, payload: body });

  it("refuses a request without a token: 401 with a Bearer challenge, and the handler never runs", async () => {
    const response = await post({});
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: "AUTH.UNAUTHENTICATED", status: 401 });
    expect(response.headers["www-authenticate"]).toBe('Bearer realm="kruzhok"');
    expect(await t.registeredChildren()).toBe(0);
  });

  it("refuses a token signed with another key", async () => {
    const forged = await new SignJWT({ role: "guardian", municipality_id: municipalityId, guardian_id: randomUUID() })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("mallory")
      .setIssuer(DEV_ISSUER)
      .setAudience(DEV_AUDIENCE)
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("another-secret-that-is-also-32-characters-long"));
    const response = await post({ authorization: `Bearer ${forged}` });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: "AUTH.UNAUTHENTICATED" });
    expect(response.headers["www-authenticate"]).toContain('error="invalid_token"');
  });

  it("refuses an expired token", async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ role: "guardian", municipality_id: municipalityId, guardian_id: randomUUID() })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("late")
      .setIssuer(DEV_ISSUER)
      .setAudience(DEV_AUDIENCE)
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(new TextEncoder().encode(SECRET));
    const response = await post({ authorization: `Bearer ${expired}` });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: "AUTH.UNAUTHENTICATED", detail: "The token has expired" });
  });

  it("refuses a correctly signed token whose claims are incomplete (a guardian without guardian_id)", async () => {
    const incomplete = await new SignJWT({ role: "guardian", municipality_id: municipalityId })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("someone")
      .setIssuer(DEV_ISSUER)
      .setAudience(DEV_AUDIENCE)
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode(SECRET));
    expect((await post({ authorization: `Bearer ${incomplete}` })).statusCode).toBe(401);
  });

  it("answers 403 AUTH.FORBIDDEN_ROLE to a role the route does not allow", async () => {
    const token = await t.token({ subject: "mun-1", role: "municipality", municipalityId });
    const response = await post({ authorization: `Bearer ${token}` });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: "AUTH.FORBIDDEN_ROLE" });
    expect(await t.registeredChildren()).toBe(0);
  });

  it("answers 403 AUTH.OTHER_MUNICIPALITY to a guardian acting in another municipality", async () => {
    const token = await t.token(guardian(randomUUID()));
    const response = await post({ authorization: `Bearer ${token}` });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: "AUTH.OTHER_MUNICIPALITY" });
    expect(await t.registeredChildren()).toBe(0);
  });

  it("lets a municipality read its own report, not another's; a region those of its region, a federal ministry any", async () => {
    const own = await t.token({ subject: "mun-1", role: "municipality", municipalityId });
    const region = await t.token({ subject: "region-1", role: "region", regionCode: "41" });
    const federal = await t.token({ subject: "ministry-1", role: "ministry", allRegions: true });
    const report = (id: string, token: string, regionOfMunicipality = "41") =>
      t.app.inject({ method: "GET", url: `/municipalities/${id}/report?region=${regionOfMunicipality}`, headers: { authorization: `Bearer ${token}` } });
    expect((await report(municipalityId, own)).statusCode).toBe(200);
    const other = await report(randomUUID(), own);
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({ code: "AUTH.OTHER_MUNICIPALITY" });
    expect((await report(randomUUID(), region)).statusCode).toBe(200);
    const otherRegion = await report(randomUUID(), region, "11");
    expect(otherRegion.statusCode).toBe(403);
    expect(otherRegion.json()).toMatchObject({ code: "AUTH.OTHER_REGION", title: "The resource belongs to another region" });
    expect((await report(randomUUID(), federal, "11")).statusCode).toBe(200);
  });

  it("refuses a region or ministry token that names no region with 401 (issue 12)", async () => {
    for (const claims of [{ role: "region" }, { role: "ministry" }, { role: "region", all_regions: true }]) {
      const token = await new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setSubject("scopeless")
        .setIssuer(DEV_ISSUER)
        .setAudience(DEV_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(new TextEncoder().encode(SECRET));
      const response = await t.app.inject({ method: "GET", url: `/municipalities/${municipalityId}/report?region=41`, headers: { authorization: `Bearer ${token}` } });
      expect(response.statusCode, JSON.stringify(claims)).toBe(401);
      expect(response.json()).toMatchObject({ code: "AUTH.UNAUTHENTICATED", detail: "The token lacks the claims Kruzhok needs" });
    }
  });

  it("lists the routes it registered, the kit's and its own, public ones marked, without HEAD twins (routesOf: the tenancy matrix's source)", () => {
    const routes = routesOf(t.app);
    expect(routes).toContainEqual({ method: "GET", url: "/public/ping", public: true });
    expect(routes).toContainEqual({ method: "GET", url: "/municipalities/:municipalityId/report", public: false });
    expect(routes).toContainEqual({ method: "GET", url: "/readyz", public: true });
    expect(routes).toContainEqual({ method: "GET", url: "/docs/json", public: true });
    expect(routes.filter((route) => route.method === "HEAD" && route.url === "/public/ping")).toEqual([]);
    expect(routesOf({})).toEqual([]);
  });

  it("serves public routes without a token, and with a bad one ignores it", async () => {
    expect((await t.app.inject({ method: "GET", url: "/public/ping" })).json()).toEqual({ pong: true, actor: null });
    const withJunk = await t.app.inject({ method: "GET", url: "/public/ping", headers: { authorization: "Bearer junk" } });
    expect(withJunk.statusCode).toBe(200);
  });

  it("refuses a valid token followed by other words, and another spelling of it (padding, whitespace)", async () => {
    const token = await t.token(guardian(municipalityId));
    for (const authorization of [`Bearer ${token} junk`, `Bearer ${token}=`, `Bearer ${token.slice(0, 30)} ${token.slice(30)}`]) {
      const response = await post({ authorization });
      expect(response.statusCode, authorization).toBe(401);
      expect(response.headers["www-authenticate"]).toContain('error="invalid_token"');
    }
    expect(await t.registeredChildren()).toBe(0);
  });

  it("lets the guardian in with a valid token", async () => {
    const response = await post({ authorization: `Bearer ${await t.token(guardian(municipalityId))}` });
    expect(response.statusCode).toBe(201);
    expect(await t.registeredChildren()).toBe(1);
  });
});

describe("OIDC mode: tokens verified against the identity provider's JWKS", () => {
  let iso: Isolation;
  let t: TestApp;
  let jwks: Server;
  type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
  let sign: (claims: Record<string, unknown>, key?: PrivateKey) => Promise<string>;
  let privateKey: PrivateKey;
  let strangerKey: PrivateKey;
  const issuer = "https://id.example.test/realms/kruzhok";
  const audience = "kruzhok-api";

  beforeAll(async () => {
    const pair = await generateKeyPair("ES256");
    const publicKey = pair.publicKey;
    privateKey = pair.privateKey;
    strangerKey = (await generateKeyPair("ES256")).privateKey;
    const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };
    jwks = createServer((_request, response) => {
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
    const { port } = jwks.address() as AddressInfo;
    sign = (claims, key: PrivateKey = privateKey) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "ES256", kid: "k1" })
        .setSubject("oidc-user")
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(key);
    iso = await isolate("http-oidc");
    t = await buildTestApp(iso, {
      auth: { mode: "oidc", jwksUrl: `http://127.0.0.1:${port}/certs`, issuer, audience },
    });
  });
  afterAll(async () => {
    await t.close();
    await iso.cleanup();
    await new Promise((resolve) => jwks.close(resolve));
  });

  it("accepts a token signed by the provider's key and refuses one signed by another", async () => {
    const claims = { role: "municipality", municipality_id: municipalityId };
    const url = `/municipalities/${municipalityId}/report`;
    const good = await t.app.inject({ method: "GET", url, headers: { authorization: `Bearer ${await sign(claims)}` } });
    expect(good.statusCode).toBe(200);
    const forged = await t.app.inject({
      method: "GET",
      url,
      headers: { authorization: `Bearer ${await sign(claims, strangerKey)}` },
    });
    expect(forged.statusCode).toBe(401);
    expect(forged.json()).toMatchObject({ code: "AUTH.UNAUTHENTICATED" });
  });

  it("refuses a token without iat, one living longer than 12 hours, another spelling of a good one, and a development token", async () => {
    const url = `/municipalities/${municipalityId}/report`;
    const claims = { role: "municipality", municipality_id: municipalityId };
    const get = (authorization: string) => t.app.inject({ method: "GET", url, headers: { authorization } });
    const now = Math.floor(Date.now() / 1_000);
    const noIat = await new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: "k1" }).setSubject("u").setIssuer(issuer).setAudience(audience).setExpirationTime("5m").sign(privateKey);
    const longLived = await new SignJWT({ ...claims, iat: now }).setProtectedHeader({ alg: "ES256", kid: "k1" }).setSubject("u").setIssuer(issuer).setAudience(audience).setExpirationTime(now + 13 * 3_600).sign(privateKey);
    const good = await sign(claims);
    const [header, payload, signature] = good.split(".") as [string, string, string];
    const development = await signDevToken({ subject: "mallory", role: "region", regionCode: "41" }, { secret: DEV_AUTH_SECRET, issuer, audience });
    for (const [what, token] of Object.entries({
      "no iat": noIat,
      "13 hours": longLived,
      "padding": `${good}=`,
      "a space in the signature": `${header}.${payload}.${signature.slice(0, 9)} ${signature.slice(9)}`,
      "HS256 with the public development secret": development,
    })) {
      const response = await get(`Bearer ${token}`);
      expect(response.statusCode, what).toBe(401);
      expect(response.json()).toMatchObject({ code: "AUTH.UNAUTHENTICATED" });
    }
    expect((await get(`Bearer ${good}`)).statusCode).toBe(200);
  });
});
