import { QueueFullError, type Pool, type Queryable } from "@kruzhok/postgres";

/** Take the key for one run, or learn that someone else holds it (or held it and finished). */
export interface ClaimWrite {
  kind: "claim";
  subject: string;
  key: string;
  requestHash: string;
  /** A fresh uuid: names this run as the owner of the row. */
  claim: string;
}

/** Record the response of the run that owns the key, for retries to replay. */
export interface FinishWrite {
  kind: "finish";
  subject: string;
  key: string;
  claim: string;
  status: number;
  headers: Record<string, string>;
  body: string | null;
}

/** Let go of the key (a 5xx, or a response that cannot be replayed). */
export interface ReleaseWrite {
  kind: "release";
  subject: string;
  key: string;
  claim: string;
}

export type IdempotencyWrite = ClaimWrite | FinishWrite | ReleaseWrite;

interface Waiting {
  write: IdempotencyWrite;
  /** For a claim: whether this run owns the key now; for the others: always true. */
  resolve: (claimed: boolean) => void;
  reject: (error: unknown) => void;
}

export interface IdempotencyWriterOptions {
  ttlMs: number;
  leaseMs: number;
  /** Writes one statement takes at most. */
  maxBatch?: number;
  /**
   * Writes waiting at most before a new claim is refused with `QueueFullError` (503
   * HTTP.QUEUE_FULL with Retry-After; nothing of the request was done). The responses and
   * releases of requests already running are always taken: they finish work begun.
   * Default 8,192.
   */
  maxQueued?: number;
}

// A claim takes a key that is new, expired, or unfinished past its lease ($6, ms); otherwise it
// returns nothing. Shared by the hook path's and the in-transaction claims.
const TAKE_OVER_EXPIRED_OR_ABANDONED = `ON CONFLICT (subject, idempotency_key) DO UPDATE
     SET request_hash = EXCLUDED.request_hash, claim = EXCLUDED.claim, status = NULL, headers = NULL,
         body = NULL, created_at = now(), expires_at = EXCLUDED.expires_at
   WHERE k.expires_at <= now()
      OR (k.status IS NULL AND k.created_at < now() - make_interval(secs => $6::double precision / 1000))
  RETURNING k.claim`;

// Record the responses of runs that own their keys: one JSON parameter, an array of objects
// (`finishColumns`; pg would escape every quote of every body for an array parameter, and JSON
// strings are escaped natively). Shared by the hook path's statement and the in-transaction one.
const recordResponses = (param: number) => `UPDATE idempotency_keys AS k SET status = f.status, headers = f.headers, body = f.body
    FROM json_to_recordset($${param}::json) AS f(subject text, idempotency_key text, claim uuid, status int, headers jsonb, body text)
   WHERE k.subject = f.subject AND k.idempotency_key = f.idempotency_key AND k.claim = f.claim`;

/** Claims as the four array parameters of a claiming statement. */
const claimColumns = (claims: readonly Omit<ClaimWrite, "kind">[]) => [
  claims.map((c) => c.subject),
  claims.map((c) => c.key),
  claims.map((c) => c.requestHash),
  claims.map((c) => c.claim),
];

/** Responses as the one parameter of `recordResponses`. */
const finishColumns = (finishes: readonly Omit<FinishWrite, "kind">[]) => [
  JSON.stringify(finishes.map((f) => ({ subject: f.subject, idempotency_key: f.key, claim: f.claim, status: f.status, headers: f.headers, body: f.body }))),
];

// One statement for every kind of write, set-based over arrays: claims, finished responses and
// released keys of many concurrent requests share one round trip and one commit. Database time
// throughout: every replica agrees on what has expired. A claim takes a key that is new, expired,
// or unfinished past its lease; `claim` names the run that owns the row, so a run that outlived
// its lease cannot overwrite the row its successor took over. The data-modifying CTEs all run
// whether or not the final SELECT reads them.
const WRITE = `
WITH claimed AS (
  INSERT INTO idempotency_keys AS k (subject, idempotency_key, request_hash, claim, expires_at)
  SELECT c.subject, c.idempotency_key, c.request_hash, c.claim, now() + make_interval(secs => $5::double precision / 1000)
    FROM unnest($1::text[], $2::text[], $3::text[], $4::uuid[]) AS c(subject, idempotency_key, request_hash, claim)
  ${TAKE_OVER_EXPIRED_OR_ABANDONED}
), finished AS (
  ${recordResponses(7)}
  RETURNING 1
), released AS (
  DELETE FROM idempotency_keys AS k
   USING unnest($8::text[], $9::text[], $10::uuid[]) AS r(subject, idempotency_key, claim)
   WHERE k.subject = r.subject AND k.idempotency_key = r.idempotency_key AND k.claim = r.claim
  RETURNING 1
)
SELECT claim FROM claimed`;

/**
 * Group commit for the `Idempotency-Key` table. Each POST with a key costs two writes (the claim
 * before the handler, the response after it); alone, each is a round trip and a commit of its
 * own, which cost Postgres and this process far more than the row in them. Writes that arrive
 * together go out as one statement instead (`WRITE`), claims and responses of different requests
 * mixed.
 *
 * Nothing waits on a timer: the writes gathered during one turn of the event loop go out at
 * once when no statement is running, and under load the next batch gathers while one runs.
 *
 * A key appears at most once in a statement (Postgres cannot touch a row twice in one): a second
 * write to a key already in the batch waits for the next one, so writes to one key keep their
 * order, exactly as if made one after another. A statement that fails as a whole writes nothing;
 * its writes then go again one by one, so that one write's failure fails none of the others.
 */
export class IdempotencyWriter {
  private readonly maxBatch: number;
  private readonly maxQueued: number;
  private queue: Waiting[] = [];
  private running = false;
  private scheduled = false;

  constructor(
    private readonly pool: Pool,
    private readonly options: IdempotencyWriterOptions,
  ) {
    this.maxBatch = options.maxBatch ?? 256;
    this.maxQueued = options.maxQueued ?? 8_192;
  }

  /** Resolves true when this run owns the key; false when another run holds or finished it. */
  claim(write: Omit<ClaimWrite, "kind">): Promise<boolean> {
    return this.enqueue({ kind: "claim", ...write });
  }

  async finish(write: Omit<FinishWrite, "kind">): Promise<void> {
    await this.enqueue({ kind: "finish", ...write });
  }

  async release(write: Omit<ReleaseWrite, "kind">): Promise<void> {
    await this.enqueue({ kind: "release", ...write });
  }

  private enqueue(write: IdempotencyWrite): Promise<boolean> {
    if (write.kind === "claim" && this.queue.length >= this.maxQueued) {
      return Promise.reject(new QueueFullError(`${this.queue.length} Idempotency-Key writes are already waiting`, 1));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      this.schedule();
    });
  }

  /** Flush once the current turn of the event loop is over: writes made in the same turn go together. */
  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.running || this.queue.length === 0) return;
    const batch: Waiting[] = [];
    const rest: Waiting[] = [];
    const keys = new Set<string>();
    for (const waiting of this.queue) {
      const id = `${waiting.write.subject}\n${waiting.write.key}`;
      if (batch.length >= this.maxBatch || keys.has(id)) {
        rest.push(waiting);
        // Later writes to the same key stay behind this one.
        keys.add(id);
        continue;
      }
      keys.add(id);
      batch.push(waiting);
    }
    this.queue = rest;
    this.running = true;
    void this.run(batch).finally(() => {
      this.running = false;
      this.flush();
    });
  }

  private async run(batch: readonly Waiting[]): Promise<void> {
    let claimed: Set<string>;
    try {
      claimed = await this.write(batch.map((waiting) => waiting.write));
    } catch (error) {
      const [only] = batch;
      if (batch.length === 1 && only) return only.reject(error);
      // One at a time: the same key never appears twice in a batch, so their order does not matter.
      for (const waiting of batch) await this.run([waiting]);
      return;
    }
    for (const { write, resolve } of batch) resolve(write.kind !== "claim" || claimed.has(write.claim));
  }

  /** The claims (by their uuid) that now own their key. */
  private async write(writes: readonly IdempotencyWrite[]): Promise<Set<string>> {
    const claims = writes.filter((w): w is ClaimWrite => w.kind === "claim");
    const finishes = writes.filter((w): w is FinishWrite => w.kind === "finish");
    const releases = writes.filter((w): w is ReleaseWrite => w.kind === "release");
    const { rows } = await this.pool.query<{ claim: string }>({
      name: "kruzhok-idempotency-write",
      text: WRITE,
      values: [
        ...claimColumns(claims),
        this.options.ttlMs,
        this.options.leaseMs,
        ...finishColumns(finishes),
        releases.map((r) => r.subject),
        releases.map((r) => r.key),
        releases.map((r) => r.claim),
      ],
    });
    return new Set(rows.map((row) => row.claim));
  }
}

/** What the table holds for a key that another run claimed (or claimed and finished). */
export interface StoredResponse {
  request_hash: string;
  status: number | null;
  headers: Record<string, string> | null;
  body: string | null;
}

/** A claim made in the caller's transaction: this run owns the key, or here is what the table holds instead. */
export type ClaimInTransaction = { claimed: true } | { claimed: false; stored: StoredResponse | undefined };

// The claim of `WRITE`, in the caller's transaction, returning for each key either the claim or
// the row another run holds. Keys are inserted in one order, so two transactions claiming some of
// the same keys cannot deadlock on them. The row read for a key not claimed is the one committed
// before this statement started: a run that committed while this statement waited for its row is
// missed, and the key reads as in progress (409, retry), which is true a moment earlier.
const CLAIM_IN_TRANSACTION = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::uuid[]) AS c(subject, idempotency_key, request_hash, claim)
), claimed AS (
  INSERT INTO idempotency_keys AS k (subject, idempotency_key, request_hash, claim, expires_at)
  SELECT i.subject, i.idempotency_key, i.request_hash, i.claim, now() + make_interval(secs => $5::double precision / 1000)
    FROM input i ORDER BY i.subject, i.idempotency_key
  ${TAKE_OVER_EXPIRED_OR_ABANDONED}
)
SELECT i.claim, c.claim IS NOT NULL AS claimed, k.request_hash, k.status, k.headers, k.body
  FROM input i
  LEFT JOIN claimed c ON c.claim = i.claim
  LEFT JOIN idempotency_keys k ON c.claim IS NULL AND k.subject = i.subject AND k.idempotency_key = i.idempotency_key`;

// The finish of `WRITE`, in the caller's transaction.
const RECORD_IN_TRANSACTION = recordResponses(1);

/**
 * Claim keys in `tx`, one statement for all: each resolves to claimed, or to the row another run
 * holds. A key given twice is claimed once; the later ones read as held by the first, which
 * holds it in this very transaction (a concurrent duplicate).
 */
export async function claimInTransaction(
  tx: Queryable,
  claims: readonly Omit<ClaimWrite, "kind">[],
  options: Pick<IdempotencyWriterOptions, "ttlMs" | "leaseMs">,
): Promise<ClaimInTransaction[]> {
  const first = new Map<string, Omit<ClaimWrite, "kind">>();
  const distinct = claims.filter((claim) => {
    const id = `${claim.subject}\n${claim.key}`;
    if (first.has(id)) return false;
    first.set(id, claim);
    return true;
  });
  const { rows } = await tx.query<StoredResponse & { claim: string; claimed: boolean }>({
    text: CLAIM_IN_TRANSACTION,
    values: [...claimColumns(distinct), options.ttlMs, options.leaseMs],
  });
  const byClaim = new Map(rows.map((row) => [row.claim, row]));
  return claims.map((claim): ClaimInTransaction => {
    const owner = first.get(`${claim.subject}\n${claim.key}`);
    if (owner !== claim) return { claimed: false, stored: owner && { request_hash: owner.requestHash, status: null, headers: null, body: null } };
    const row = byClaim.get(claim.claim);
    if (!row) throw new Error(`the claim of idempotency key ${claim.key} was not answered`);
    if (row.claimed) return { claimed: true };
    const { request_hash, status, headers, body } = row;
    // No row: another run holds the key in a transaction that committed after this statement began.
    return { claimed: false, stored: request_hash === null ? undefined : { request_hash, status, headers, body } };
  });
}

/** Record the responses of keys claimed in `tx`, one statement for all. */
export async function recordInTransaction(tx: Queryable, finishes: readonly Omit<FinishWrite, "kind">[]): Promise<void> {
  if (finishes.length === 0) return;
  await tx.query({
    text: RECORD_IN_TRANSACTION,
    values: finishColumns(finishes),
  });
}

interface Pending<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Calls made for one transaction during one turn (before the next microtask runs) go out as one
 * statement: a route that claims the keys of many requests in one transaction, one call each,
 * pays one round trip. Calls made later make statements of their own; nothing waits on a timer.
 */
export class PerTransaction<T, R> {
  private readonly open = new Map<Queryable, Pending<T, R>[]>();

  constructor(private readonly run: (tx: Queryable, items: readonly T[]) => Promise<R[]>) {}

  add(tx: Queryable, item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let pending = this.open.get(tx);
      if (!pending) {
        const batch: Pending<T, R>[] = [];
        pending = batch;
        this.open.set(tx, batch);
        queueMicrotask(() => {
          this.open.delete(tx);
          this.run(
            tx,
            batch.map((p) => p.item),
          ).then(
            (results) => batch.forEach((p, index) => p.resolve(results[index] as R)),
            (error: unknown) => batch.forEach((p) => p.reject(error)),
          );
        });
      }
      pending.push({ item, resolve, reject });
    });
  }
}
