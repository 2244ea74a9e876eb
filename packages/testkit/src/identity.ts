import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { claimsOfActor } from "@kruzhok/http";
import type { TokenFor } from "./tokens";

// The benchmarks import this file alone (not the index, which needs vitest).
export type { TokenFor } from "./tokens";

/**
 * An identity provider on 127.0.0.1 as production has one (Keycloak's paths): an ES256 key made
 * for this run, its JWKS served over HTTP, tokens signed with it. A service started with `env`
 * verifies these tokens exactly as a region's services verify their identity provider's.
 */
export interface LocalIdentityProvider {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: string;
  /** What a service needs to trust it: AUTH_MODE=oidc, AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE. */
  readonly env: Readonly<Record<string, string>>;
  /** How many times the key set was fetched (services cache it). */
  readonly keyFetches: number;
  /** A token for `who` (a made-up subject when none is given), living `ttl` (jose time span, default 1h). */
  token(who: TokenFor, ttl?: string): Promise<string>;
  /** The `authorization` header value for `who`. */
  bearer(who: TokenFor, ttl?: string): Promise<string>;
  close(): Promise<void>;
}

export async function localIdentityProvider(options: { realm?: string; audience?: string } = {}): Promise<LocalIdentityProvider> {
  const realm = options.realm ?? "kruzhok";
  const audience = options.audience ?? "kruzhok-api";
  const { publicKey, privateKey } = await generateKeyPair("ES256");
  const kid = randomUUID();
  const keys = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" }] });
  const certsPath = `/realms/${realm}/protocol/openid-connect/certs`;
  let keyFetches = 0;
  const server = createServer((request, response) => {
    if (request.method !== "GET" || request.url !== certsPath) {
      response.writeHead(404).end();
      return;
    }
    keyFetches += 1;
    response.writeHead(200, { "content-type": "application/json" }).end(keys);
  });
  // Never what keeps a test or a benchmark process alive.
  server.unref();
  server.on("connection", (socket) => socket.unref());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${base}/realms/${realm}`;
  const jwksUrl = `${base}${certsPath}`;

  const token = (who: TokenFor, ttl = "1h") => {
    const { sub, ...custom } = claimsOfActor({ ...who, subject: who.subject ?? `user-${randomUUID()}` });
    return new SignJWT(custom)
      .setProtectedHeader({ alg: "ES256", kid, typ: "JWT" })
      .setSubject(sub)
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime(ttl)
      .sign(privateKey);
  };
  return {
    issuer,
    audience,
    jwksUrl,
    env: { AUTH_MODE: "oidc", AUTH_JWKS_URL: jwksUrl, AUTH_ISSUER: issuer, AUTH_AUDIENCE: audience },
    get keyFetches() {
      return keyFetches;
    },
    token,
    bearer: async (who, ttl) => `Bearer ${await token(who, ttl)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
