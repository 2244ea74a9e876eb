import { createHash, randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";
import type { Migration, Pool, Queryable } from "@kruzhok/postgres";
import {
  IdempotencyWriter,
  PerTransaction,
  claimInTransaction,
  recordInTransaction,
  type ClaimInTransaction,
  type FinishWrite,
  type StoredResponse,
} from "./idempotency-writes";
import { HttpProblem } from "./problems";
import { onWriteRoutes, routeOptionsOf } from "./route";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * `"in-transaction"`: the route claims the request's Idempotency-Key and records its response
     * in its own transaction, through `request.idempotency`, so that the response is recorded if
     * and only if the effect commits. Other routes are claimed before the handler and recorded
     * after it, each in a commit of its own.
     */
    idempotency?: "in-transaction";
  }
  interface FastifyRequest {
    /** On a route with `config.idempotency: "in-transaction"`, the key of a POST that carries one; null otherwise. */
    idempotency: TransactionalKey | null;
  }
}

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
  {
    // Every row is written twice: the claim, then the response, which makes it several times
    // longer. Room left on each page lets the second write stay on the page without new index
    // entries (a HOT update) far more often, which saves Postgres CPU on every certificate the
    // registry issues (BENCHMARKS.md). Applies to pages written from now on.
    name: "0001_kit_http_idempotency_fillfactor.sql",
    sql: "ALTER TABLE idempotency_keys SET (fillfactor = 50);",
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

/**
 * Requests answered before their work ended (a handler timeout): their key is neither recorded
 * nor released, so a retry gets 409 HTTP.IDEMPOTENCY_IN_PROGRESS until the lease ends rather
 * than running the work a second time beside the first.
 */
const answeredEarly = new WeakSet<FastifyRequest>();

/**
 * Refusals that rest on another service's news not yet arrived (a domain error with
 * `awaitingNews`): not the request's final answer, so the key is let go and a retry runs again.
 */
const notFinal = new WeakSet<FastifyRequest>();

/** The answer leaving for `request` may change once another service's news arrives: do not record it under its key. */
export function markNotFinal(request: FastifyRequest): void {
  notFinal.add(request);
}

/** The answer leaving for `request` is not its work's outcome: the work may still be running. */
export function markAnsweredEarly(request: FastifyRequest): void {
  answeredEarly.add(request);
}

const DAY_MS = 24 * 3_600_000;
const PURGE_EVERY_MS = 10 * 60_000;
const REPLAYED_HEADERS = ["content-type", "location"] as const;
// Visible ASCII, as in draft-ietf-httpapi-idempotency-key-header; UUIDs fit easily.
const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

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

/** The response of the run that owns a key, as recorded for retries to replay. */
interface RecordedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A response as a plain value: what a use case or a batcher hands back for the route to send,
 * and what an in-transaction key records (`TransactionalKey.recordIn`) without a Fastify reply.
 */
export interface ResponseValue {
  status: number;
  /** Sent as given; `content-type` and `location` are also recorded for a replay. */
  headers?: Readonly<Record<string, string>>;
  /** Serialized with the route's response schema for `status`, as `reply.send` would. */
  body: unknown;
}

const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

function replayedHeaders(reply: FastifyReply): Record<string, string> {
  return Object.fromEntries(
    REPLAYED_HEADERS.flatMap((name) => {
      const value = reply.getHeader(name);
      return value === undefined ? [] : [[name, String(value)]];
    }),
  );
}

/** The headers of `response` a replay repeats; a serialized body is JSON unless it says otherwise. */
function recordedHeaders(response: ResponseValue): Record<string, string> {
  const given = Object.fromEntries(Object.entries(response.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  return Object.fromEntries(
    REPLAYED_HEADERS.flatMap((name) => {
      const value = given[name] ?? (name === "content-type" ? JSON_CONTENT_TYPE : undefined);
      return value === undefined ? [] : [[name, value]];
    }),
  );
}

/** Text of a body for a status, as the route's schema serializes it. */
export type BodySerializer = (status: number, body: unknown) => string;

/** The route's own serializer, as `reply.send` would use it for `status`; the reply is left as it was. */
function serializerOf(reply: FastifyReply): BodySerializer {
  return (status, body) => {
    const previous = reply.statusCode;
    reply.code(status);
    try {
      const text: unknown = reply.serialize(body);
      if (typeof text !== "string") throw new Error("the response does not serialize to text");
      return text;
    } finally {
      reply.code(previous);
    }
  };
}

/** The answer to a request whose key another run holds or held: 422, 409, or the replay. */
function answerTaken(request: FastifyRequest, reply: FastifyReply, stored: StoredResponse | undefined, hash: string, key: string): FastifyReply {
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
}

// Claims and records of all the keys one transaction handles in one turn share a statement.
const claimsInTransaction = new PerTransaction<{ claim: Claim & { requestHash: string }; ttlMs: number; leaseMs: number }, ClaimInTransaction>(
  (tx, items) => claimInTransaction(tx, items.map((item) => item.claim), items[0] ?? { ttlMs: DAY_MS, leaseMs: 60_000 }),
);
const recordsInTransaction = new PerTransaction<Omit<FinishWrite, "kind">, void>(async (tx, finishes) => {
  await recordInTransaction(tx, finishes);
  return finishes.map(() => undefined);
});

/**
 * The Idempotency-Key of a request to a route with `config: { idempotency: "in-transaction" }`:
 * the route claims it (`claimIn`) and records its response (`recordIn`) in the transaction of
 * its effect, so the two commit together or not at all; a crash after the commit cannot leave
 * the key unfinished, and there is no commit of the key's own before or after the handler.
 * Calls for many requests made in one turn on one transaction share one statement each.
 *
 * The semantics are those of the other routes: a retry gets the first response with
 * `idempotent-replayed: true` (`answer`), the same key with another request gets 422, a key
 * held by a run in progress gets 409 (a duplicate claimed in the same transaction at once; one
 * claimed by a transaction still open waits for it to end, then gets 409), and 5xx responses
 * are forgotten. What the route did not record in its transaction is recorded after the
 * handler, as on other routes: a refusal thrown before the route's transaction, or one it
 * decided there but did not record.
 */
export class TransactionalKey {
  /** Where this run stands, as far as the transactions that claimed and recorded it committed. */
  private state: { kind: "unclaimed" } | { kind: "claimed" } | { kind: "taken"; stored: StoredResponse | undefined } | { kind: "recorded"; response: RecordedResponse } = {
    kind: "unclaimed",
  };

  constructor(
    readonly subject: string,
    readonly key: string,
    readonly requestHash: string,
    /** A fresh uuid: names this run as the owner of the row. */
    readonly claim: string,
    private readonly options: { ttlMs: number; leaseMs: number },
    /** The route's serializer (the kit passes it); plain JSON otherwise. */
    private readonly serialize: BodySerializer = (_status, body) => JSON.stringify(body),
  ) {}

  /**
   * Claim the key in `tx`, the route's transaction: true when this run owns it now. False when
   * another run holds or held it: the route does nothing and answers with `answer`. Call it
   * again in the transaction that retries a rolled-back one.
   */
  async claimIn(tx: Queryable): Promise<boolean> {
    const result = await claimsInTransaction.add(tx, {
      claim: { subject: this.subject, key: this.key, claim: this.claim, requestHash: this.requestHash },
      ...this.options,
    });
    this.state = result.claimed ? { kind: "claimed" } : { kind: "taken", stored: result.stored };
    return result.claimed;
  }

  /**
   * Record, in `tx`, the response the route will send: its body serialized here as the route's
   * schema would, then sent as that very text by `send`. A plain value, so a use case or a
   * batcher records it with no Fastify reply at hand.
   */
  async recordIn(tx: Queryable, response: ResponseValue): Promise<void> {
    if (this.state.kind !== "claimed" && this.state.kind !== "recorded") throw new Error(`idempotency key ${this.key} is recorded before it is claimed`);
    let body: string;
    try {
      body = this.serialize(response.status, response.body);
    } catch (error) {
      throw new Error(`the response of idempotency key ${this.key} does not serialize to text`, { cause: error });
    }
    const recorded: RecordedResponse = { status: response.status, headers: recordedHeaders(response), body };
    await recordsInTransaction.add(tx, { subject: this.subject, key: this.key, claim: this.claim, ...recorded });
    this.state = { kind: "recorded", response: recorded };
  }

  /** Send `response`: the very text recorded for it in the transaction, if it was. */
  send(reply: FastifyReply, response: ResponseValue): FastifyReply {
    reply.code(response.status);
    if (response.headers) reply.headers(response.headers);
    if (this.state.kind !== "recorded") return reply.send(response.body);
    return reply.headers(this.state.response.headers).send(this.state.response.body);
  }

  /** The answer when `claimIn` found the key taken: the first response replayed, 409 or 422. */
  answer(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    if (this.state.kind !== "taken") throw new Error(`idempotency key ${this.key} is answered while ${this.state.kind}`);
    return answerTaken(request, reply, this.state.stored, this.requestHash, this.key);
  }

  /** What onSend still has to write, given the response that is leaving. */
  pendingWrite(statusCode: number, payload: unknown): "none" | "release" | "finish" | "claim-and-finish" {
    const replayable = payload === undefined || payload === null || typeof payload === "string";
    const forget = statusCode >= 500 || !replayable;
    switch (this.state.kind) {
      case "taken":
        return "none";
      case "unclaimed":
        return forget ? "none" : "claim-and-finish";
      case "claimed":
        return forget ? "release" : "finish";
      case "recorded": {
        // Recorded with the effect, which committed: a retry gets that response rather than
        // running again, whatever went wrong with this answer afterwards.
        if (forget) return "none";
        const recorded = this.state.response;
        // The route sent what it recorded (`send`): nothing left. Anything else is recorded as sent.
        return recorded.status === statusCode && recorded.body === payload ? "none" : "finish";
      }
      default: {
        const exhaustive: never = this.state;
        return exhaustive;
      }
    }
  }
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
 * A route with `config: { idempotency: "in-transaction" }` claims the key and records the
 * response in its own transaction instead (`TransactionalKey`).
 *
 * REVIEW: on other routes the response is recorded after the handler's own transaction
 * committed; a crash in between leaves the key unfinished, and after `leaseMs` a retry runs the
 * handler again. Such routes whose effect must be exactly-once also need a natural unique key in
 * their own table, or the in-transaction mode.
 */
export function registerIdempotency(app: FastifyInstance, options: IdempotencyOptions): void {
  const { pool } = options;
  const ttlMs = options.ttlMs ?? DAY_MS;
  const leaseMs = options.leaseMs ?? 60_000;
  const claims = new WeakMap<FastifyRequest, Claim>();
  // Claims and responses of concurrent requests share statements and commits.
  const writer = new IdempotencyWriter(pool, { ttlMs, leaseMs });
  let lastPurge = 0;
  const purgeNowAndThen = (request: FastifyRequest) => {
    if (Date.now() - lastPurge <= PURGE_EVERY_MS) return;
    lastPurge = Date.now();
    void purgeExpiredIdempotencyKeys(pool).catch((error: unknown) => request.log.warn({ err: error }, "purging expired idempotency keys failed"));
  };
  const transactional = new WeakMap<FastifyRequest, TransactionalKey>();
  app.decorateRequest("idempotency", null);

  // Both hooks are callback hooks whose common case (a write without a key) passes with a
  // call: as async hooks they cost every request a promise and a turn of the microtask queue for
  // nothing. The rest is the async work below, its outcome passed on as Fastify passes an async
  // hook's (resolved: the next hook; rejected: the error handler).
  const claimKey = async (request: FastifyRequest, reply: FastifyReply, subject: string, key: string | string[]): Promise<unknown> => {
    if (typeof key !== "string" || !KEY_FORMAT.test(key)) {
      throw new HttpProblem("HTTP.VALIDATION", "Idempotency-Key is malformed", {
        invalidParams: [
          { name: "headers.idempotency-key", reason: "must be 1 to 255 visible ASCII characters", rule: "invalid_format" },
        ],
      });
    }
    const hash = requestHash(request);
    const claim = randomUUID();
    purgeNowAndThen(request);
    if (routeOptionsOf(request).config.idempotency === "in-transaction") {
      const transactionalKey = new TransactionalKey(subject, key, hash, claim, { ttlMs, leaseMs }, serializerOf(reply));
      request.idempotency = transactionalKey;
      transactional.set(request, transactionalKey);
      return;
    }
    if (await writer.claim({ subject, key, requestHash: hash, claim })) {
      claims.set(request, { subject, key, claim });
      return;
    }
    const found = await pool.query<StoredResponse>(
      "SELECT request_hash, status, headers, body FROM idempotency_keys WHERE subject = $1 AND idempotency_key = $2",
      [subject, key],
    );
    return answerTaken(request, reply, found.rows[0], hash, key);
  };
  // On write routes only (`onWriteRoutes`): a read has nothing to claim or settle, and passes
  // through neither hook nor the runners around them.
  onWriteRoutes(app, "preHandler", function claimIdempotencyKey(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
    const key = request.headers["idempotency-key"];
    if (request.method !== "POST" || key === undefined || !request.actor || request.is404) {
      done();
      return;
    }
    claimKey(request, reply, request.actor.subject, key).then(
      () => done(),
      (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
    );
  });

  const settleKey = async (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    const transactionalKey = transactional.get(request);
    let claim = claims.get(request);
    let pending: ReturnType<TransactionalKey["pendingWrite"]> | undefined;
    if (transactionalKey) {
      transactional.delete(request);
      pending = transactionalKey.pendingWrite(reply.statusCode, payload);
      claim = { subject: transactionalKey.subject, key: transactionalKey.key, claim: transactionalKey.claim };
    } else if (claim) {
      claims.delete(request);
      const replayable = payload === undefined || payload === null || typeof payload === "string";
      // Not worth remembering (our failure) or not replayable as text (a stream): let go.
      pending = reply.statusCode >= 500 || !replayable ? "release" : "finish";
    }
    if (!claim || !pending || pending === "none") return payload;
    if (answeredEarly.has(request)) return payload;
    if (notFinal.has(request)) {
      // A refusal that may pass once another service's news arrives: the key is let go, so a
      // retry runs again (an in-transaction key not claimed yet has nothing to let go).
      if (pending === "claim-and-finish") return payload;
      pending = "release";
    }
    try {
      if (pending === "release") await writer.release(claim);
      else {
        const finish = { ...claim, status: reply.statusCode, headers: replayedHeaders(reply), body: (payload as string | null | undefined) ?? null };
        // A refusal of an in-transaction route before its transaction claimed the key: remembered
        // like any other, unless another run holds the key (it answers retries then).
        if (pending === "claim-and-finish" && transactionalKey && !(await writer.claim({ ...claim, requestHash: transactionalKey.requestHash }))) return payload;
        await writer.finish(finish);
      }
    } catch (error) {
      // The effect has happened; the client still gets its answer. The key stays unfinished
      // until its lease ends, so a retry meanwhile gets 409 rather than a second effect.
      request.log.error({ err: error }, "recording the idempotent response failed");
    }
    return payload;
  };
  onWriteRoutes(app, "onSend", function settleIdempotencyKey(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: Error | null, payload?: unknown) => void) {
    if (!transactional.has(request) && !claims.has(request)) {
      done(null, payload);
      return;
    }
    settleKey(request, reply, payload).then(
      (sent) => done(null, sent),
      (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
    );
  });
}

/**
 * Send a route's `response`; with the request's in-transaction key (`request.idempotency`), the
 * text it recorded for it.
 */
export function sendResponse(reply: FastifyReply, response: ResponseValue, key?: TransactionalKey | null): FastifyReply {
  if (key) return key.send(reply, response);
  reply.code(response.status);
  if (response.headers) reply.headers(response.headers);
  return reply.send(response.body);
}
