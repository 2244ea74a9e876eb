import { createHmac } from "node:crypto";
import type { SubjectType } from "../domain/subjects";

/**
 * The pseudonymous key of an id: HMAC-SHA-256 with the service's key, so that the same child or
 * certificate is counted once across its events, while nobody holding the database (and not
 * the key) can tell whose it is or look an id up. Only these keys are stored.
 */
export function pseudonym(key: string, type: SubjectType, id: string): string {
  return `${type}:${createHmac("sha256", key).update(`${type}:${id}`).digest("base64url")}`;
}
