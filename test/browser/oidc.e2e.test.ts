import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import { fileURLToPath } from "node:url";
import Provider from "oidc-provider";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { claimsOfActor } from "@kruzhok/http";
import { freePort, systemUnderTest } from "@kruzhok/testkit";
import { translator } from "../../services/portal/src/pages/texts";
import { storyServices } from "../system/story";
import { PHONE, Person, launchBrowser, shows } from "./browser";

// Production's sign-in: the portal in AUTH_MODE=oidc, a client of a real OpenID Connect provider
// (panva's oidc-provider, certified, on loopback, with its development login and consent pages),
// and the registry trusting the same provider's keys. A family signs in through the provider's
// pages in a browser without JavaScript; the provider's access token, with Kruzhok's claims, is
// what the portal then sends to the registry, which accepts it. A callback that did not begin in
// this browser signs nobody in; an account without a role in Kruzhok is told so.

const portalMain = fileURLToPath(new URL("../../services/portal/src/main.ts", import.meta.url));
const AUDIENCE = "https://api.kruzhok.test";
const CLIENT_ID = "kruzhok-portal";
const CLIENT_SECRET = randomUUID() + randomUUID();

interface Account {
  name: string;
  claims: Record<string, string | boolean>;
}

let system: Awaited<ReturnType<typeof systemUnderTest>>;
let browser: Browser;
let baseURL: string;
let idp: Server;
const accounts = new Map<string, Account>();

beforeAll(async () => {
  const issuerPort = await freePort();
  const issuer = `http://127.0.0.1:${issuerPort}`;
  const services = storyServices();
  system = await systemUnderTest(inject("infra"), "portal-oidc", { registry: services.registry, portal: { main: portalMain } });
  const all = system.services as unknown as Record<string, { port: number; start(env?: Record<string, string>): Promise<unknown> }>;
  baseURL = `http://127.0.0.1:${all.portal!.port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [`${baseURL}/sign-in/callback`],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_post",
      },
    ],
    cookies: { keys: [randomUUID()] },
    claims: { openid: ["sub"], profile: ["name"] },
    findAccount: (_ctx, sub) => {
      const account = accounts.get(sub);
      return account ? { accountId: sub, claims: () => ({ sub, name: account.name }) } : undefined;
    },
    features: {
      devInteractions: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: "kruzhok", audience: AUDIENCE, accessTokenFormat: "jwt", accessTokenTTL: 3600, jwt: { sign: { alg: "RS256" } } }),
      },
    },
    // Kruzhok's claims (role, municipality, guardian) in the access token, as the region's provider maps them.
    extraTokenClaims: (_ctx, token) => {
      const accountId = "accountId" in token ? token.accountId : undefined;
      const { sub: _sub, ...claims } = (accountId === undefined ? undefined : accounts.get(accountId)?.claims) ?? { sub: "" };
      return claims;
    },
  });
  idp = provider.listen(issuerPort);

  const trust = { AUTH_MODE: "oidc", AUTH_JWKS_URL: `${issuer}/jwks`, AUTH_ISSUER: issuer, AUTH_AUDIENCE: AUDIENCE };
  await all.registry!.start(trust);
  await all.portal!.start({
    ...trust,
    REGISTRY_URL: `http://127.0.0.1:${all.registry!.port}`,
    PORTAL_PUBLIC_URL: baseURL,
    PORTAL_OIDC_CLIENT_ID: CLIENT_ID,
    PORTAL_OIDC_CLIENT_SECRET: CLIENT_SECRET,
    PORTAL_OIDC_SCOPE: "openid profile kruzhok",
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await system?.cleanup();
  await new Promise((resolve) => idp?.close(resolve));
});

/** Through the provider's own login and consent pages (its development ones: any password). */
async function signInAtProvider(person: Person, login: string): Promise<void> {
  const { page } = person;
  await shows(page.locator('input[name="login"]'));
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("any");
  await page.locator('button[type="submit"]').click();
  // Consent, asked once per client and account.
  await shows(page.locator('button[type="submit"]'));
  await page.locator('button[type="submit"]').click();
}

describe("signing in through the region's identity provider (AUTH_MODE=oidc)", () => {
  it("a family signs in without JavaScript, lands on its page, and the registry accepts the provider's token", async () => {
    const t = translator("ru");
    const guardianId = randomUUID();
    accounts.set(guardianId, { name: "Анна Провайдерова", claims: claimsOfActor({ subject: guardianId, role: "guardian", municipalityId: randomUUID(), guardianId }) });
    const person = await Person.open(browser, "oidc-family", { size: PHONE, language: "ru", javaScript: false, baseURL });
    try {
      const { page } = person;
      await page.goto("/family");
      // Signed out: the sign-in page, in production's mode a button to the region's provider.
      await shows(page.getByRole("heading", { level: 1, name: t("signIn.title") }));
      await person.look("oidc-sign-in");
      await page.getByRole("link", { name: t("signIn.start") }).click();
      await signInAtProvider(person, guardianId);
      // Back at the page asked for, greeted by the provider's name for the person; the registry,
      // called with the provider's token, answered that this guardian has not registered yet.
      await shows(page.getByRole("heading", { level: 1, name: t("family.register") }));
      await expect.poll(() => page.getByText(t("nav.signedInAs", { name: "Анна Провайдерова" })).count()).toBe(1);
      await person.look("oidc-signed-in");
      expect(new URL(page.url()).pathname).toBe("/family");
      // The browser holds the portal's session id and form token, and nothing the services accept
      // (the provider's own cookies on 127.0.0.1, another port, are its sign-in session's).
      const cookies = (await person.context.cookies()).filter((c) => c.name.includes("kruzhok"));
      expect(cookies.map((c) => c.name).sort()).toEqual(["__Host-kruzhok-csrf", "__Host-kruzhok-session"]);
      expect(cookies.every((c) => c.httpOnly && c.secure && c.value.split(".").length < 3)).toBe(true);

      await page.getByRole("button", { name: t("nav.signOut") }).click();
      await page.goto("/family");
      await shows(page.getByRole("heading", { level: 1, name: t("signIn.title") }));
    } finally {
      await person.close();
    }
  });

  it("a callback this browser did not begin signs nobody in, nor does one replayed", async () => {
    const t = translator("kk");
    const guardianId = randomUUID();
    accounts.set(guardianId, { name: "Әлия Жолдасова", claims: claimsOfActor({ subject: guardianId, role: "guardian", municipalityId: randomUUID(), guardianId }) });
    const person = await Person.open(browser, "oidc-forged", { size: PHONE, language: "kk", javaScript: false, baseURL });
    try {
      const { page } = person;
      // Someone else's (or a made-up) code and state, sent to this browser.
      await page.goto(`/sign-in/callback?code=${randomUUID()}&state=${randomUUID()}`);
      await shows(page.getByText(t("signIn.refused")));
      await person.look("oidc-refused");
      // A real sign-in, then its callback address (code and state) opened again: the attempt was used up.
      let callback: string | undefined;
      page.on("request", (request) => {
        if (request.url().includes("/sign-in/callback?")) callback = request.url();
      });
      await page.goto("/sign-in/start?back=/family");
      await signInAtProvider(person, guardianId);
      await shows(page.getByRole("heading", { level: 1, name: t("family.register") }));
      await page.getByRole("button", { name: t("nav.signOut") }).click();
      expect(callback).toBeDefined();
      await page.goto(callback!);
      await shows(page.getByText(t("signIn.refused")));
      await page.goto("/family");
      await shows(page.getByRole("heading", { level: 1, name: t("signIn.title") }));
    } finally {
      await person.close();
    }
  });

  it("an account the provider knows but Kruzhok gives no role is told to ask its municipality, and is not signed in", async () => {
    const t = translator("ru");
    const stranger = `stranger-${randomUUID()}`;
    accounts.set(stranger, { name: "Без Роли", claims: { sub: stranger } });
    const person = await Person.open(browser, "oidc-no-role", { size: PHONE, language: "ru", javaScript: false, baseURL });
    try {
      const { page } = person;
      await page.goto("/sign-in/start");
      await signInAtProvider(person, stranger);
      await shows(page.getByText(t("signIn.noRole")));
      await person.look("oidc-no-role");
      await page.goto("/family");
      await shows(page.getByRole("heading", { level: 1, name: t("signIn.title") }));
    } finally {
      await person.close();
    }
  });
});
