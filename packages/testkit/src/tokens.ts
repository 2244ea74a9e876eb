import { randomUUID } from "node:crypto";
import { DEV_AUTH_SECRET, signDevToken } from "@kruzhok/http";

// The one place testkit signs tokens: the kit's development tokens, which services accept in
// development mode (their default secret unless a test's app sets another).

/**
 * Whom a token speaks for: the token's claims, with a made-up subject when none is given. A
 * region official names its region (`{ role: "region", regionCode: "41" }`), a ministry its
 * region or `allRegions: true`: a token of those roles without either is refused when signed.
 */
export type TokenFor = Omit<Parameters<typeof signDevToken>[0], "subject"> & { subject?: string };

export interface TokenOptions {
  /** The app's development secret; the kit's default one otherwise. */
  secret?: string;
  /** jose time span (`1h`, `-1m` for an expired token); the kit's default otherwise. */
  ttl?: string;
}

export function devToken(who: TokenFor, options: TokenOptions = {}): Promise<string> {
  return signDevToken(
    { ...who, subject: who.subject ?? `user-${randomUUID()}` },
    { secret: options.secret ?? DEV_AUTH_SECRET, ...(options.ttl !== undefined && { ttl: options.ttl }) },
  );
}

/** The `authorization` header value for `who`. */
export async function bearer(who: TokenFor, options: TokenOptions = {}): Promise<string> {
  return `Bearer ${await devToken(who, options)}`;
}
