import { createHash, randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Migration, Pool, Queryable } from "@kruzhok/postgres";
import { IdempotencyWriter } from "./idempotency-writes";
import { HttpProblem } from "./problems";

/**
 * The table behind `Idempotency-Key`. One row per (subject, key): `status` stays NULL while
 * the first request runs; `claim` names the run that owns the row, so a run that outlived its
 * lease cannot overwrite the row its successor took over.
 */
export const httpMigrations: Migration[] = [
  {
    name: "0000_kit_http_idempotency.sql",
    sql: `
CREATE TABLE IF NOT EXISTS idempotency_keys (
  subject          text NOT NULL,
  idempotency_key  text NOT NULL,
  request_hash     text NOT NULL,
  claim            uuid NOT NULL,
  status           integer,
  headers          jsonb,
  body             text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz NOT NULL,
  PRIMARY KEY (subject, idempotency_key)
);
CREATE INDEX IF NOT EXISTS idempotency_keys_expires_at ON idempotency_keys (expires_at);
`,
  },
];

export interface IdempotencyOptions {
  pool: Pool;
  /** How long a key is remembered. */
  ttlMs?: number;
  /**
   * An unfinished first request older than this is presumed dead (its process crashed) and the
   * key may be claimed again. Keep it above the longest request a route can take.
   */
  leaseMs?: number;
}

const DAY_MS = 24 * 3_600_000;
const PURGE_EVERY_MS = 10 * 60_000;
const REPLAYED_HEADERS = ["content-type", "location"] as const;
// Visible ASCII, as in draft-ietf-httpapi-idempotency-key-header; UUIDs fit easily.
const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

interface StoredResponse {
  request_hash: string;
  status: number | null;
  headers: Record<string, string> | null;
  body: string | null;
}

interface Claim {
  subject: string;
  key: string;
  claim: string;
}

/** Delete keys past their expiry; runs now and then on its own, exported for a scheduled job. */
export async function purgeExpiredIdempotencyKeys(db: Queryable, limit = 1_000): Promise<number> {
  const result = await db.query(
    `DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
       SELECT ctid FROM idempotency_keys WHERE expires_at <= now() LIMIT $1))`,
    [limit],
  );
  return result.rowCount ?? 0;
}

/** Same method, URL and (validated) body: a retry. Anything else under the same key: misuse. */
function requestHash(request: FastifyRequest): string {
  return createHash("sha256")
    .update(`${request.method}\n${request.url}\n`)
    .update(JSON.stringify(request.body) ?? "")
    .digest("hex");
}

/**
 * A POST carrying `Idempotency-Key` runs once per (subject, key): a retry gets the first
 * response again with `idempotent-replayed: true`; a concurrent duplicate gets 409 rather than
 * waiting, since the client is retrying anyway; the same key with another request gets 422.
 * 5xx responses are forgotten so that a retry can succeed. Public routes (no subject to scope
 * the key by) ignore the header. The claims and responses of concurrent requests are written
 * together, a statement and a commit for many (`IdempotencyWriter`); each request still waits
 * for its own write to commit before its handler runs or its response leaves.
 *
 * REVIEW: the response is recorded after the handler's own transaction committed; a crash in
 * between leaves the key unfinished, and after `leaseMs` a retry runs the handler again. Routes
 * whose effect must be exactly-once also need a natural unique key in their own table.
 */
export function registerIdempotency(app: FastifyInstance, options: IdempotencyOptions): void {
  const { pool } = options;
  const ttlMs = options.ttlMs ?? DAY_MS;
  const leaseMs = options.leaseMs ?? 60_000;
  const claims = new WeakMap<FastifyRequest, Claim>();
  // Claims and responses of concurrent requests share statements and commits.
  const writer = new IdempotencyWriter(pool, { ttlMs, leaseMs });
  let lastPurge = 0;

  app.addHook("preHandler", async (request, reply) => {
    const key = request.headers["idempotency-key"];
    if (request.method !== "POST" || key === undefined || !request.principal || request.is404) return;
    if (typeof key !== "string" || !KEY_FORMAT.test(key)) {
      throw new HttpProblem("HTTP.VALIDATION", "Idempotency-Key is malformed", {
        invalidParams: [
          { name: "headers.idempotency-key", reason: "must be 1 to 255 visible ASCII characters", rule: "invalid_format" },
        ],
      });
    }
    const subject = request.principal.subject;
    const hash = requestHash(request);
    const claim = randomUUID();
    if (await writer.claim({ subject, key, requestHash: hash, claim })) {
      claims.set(request, { subject, key, claim });
      if (Date.now() - lastPurge > PURGE_EVERY_MS) {
        lastPurge = Date.now();
        void purgeExpiredIdempotencyKeys(pool).catch((error: unknown) =>
          request.log.warn({ err: error }, "purging expired idempotency keys failed"),
        );
      }
      return;
    }
    const found = await pool.query<StoredResponse>(
      "SELECT request_hash, status, headers, body FROM idempotency_keys WHERE subject = $1 AND idempotency_key = $2",
      [subject, key],
    );
    const stored = found.rows[0];
    if (stored && stored.request_hash !== hash) {
      throw new HttpProblem("HTTP.IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used for a different request");
    }
    // No row: the first run failed with a 5xx and let go of the key a moment ago; retry.
    if (stored?.status == null) {
      throw new HttpProblem("HTTP.IDEMPOTENCY_IN_PROGRESS", "The first request with this key has not finished", {
        headers: { "retry-after": "1" },
      });
    }
    request.log.info({ idempotencyKey: key }, "idempotent replay");
    return reply
      .code(stored.status)
      .headers(stored.headers ?? {})
      .header("idempotent-replayed", "true")
      .send(stored.body ?? undefined);
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const claim = claims.get(request);
    if (!claim) return payload;
    claims.delete(request);
    const replayable = payload === undefined || payload === null || typeof payload === "string";
    try {
      if (reply.statusCode >= 500 || !replayable) {
        // Not worth remembering (our failure) or not replayable as text (a stream): let go.
        await writer.release(claim);
      } else {
        const headers = Object.fromEntries(
          REPLAYED_HEADERS.flatMap((name) => {
            const value = reply.getHeader(name);
            return value === undefined ? [] : [[name, String(value)]];
          }),
        );
        await writer.finish({ ...claim, status: reply.statusCode, headers, body: payload ?? null });
      }
    } catch (error) {
      // The effect has happened; the client still gets its answer. The key stays unfinished
      // until its lease ends, so a retry meanwhile gets 409 rather than a second effect.
      request.log.error({ err: error }, "recording the idempotent response failed");
    }
    return payload;
  });
}
