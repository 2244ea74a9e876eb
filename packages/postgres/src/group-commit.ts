import type pg from "pg";
import { AfterCommitError, withTransaction } from "./transaction";

export interface GroupCommitOptions {
  /** Requests one transaction takes at most. */
  maxBatch?: number;
  /** Transactions of batches running at once. */
  maxConcurrentBatches?: number;
  /**
   * Requests waiting for a batch at most (default 4,096). One more is refused at once with a
   * `QueueFullError` (the http kit answers 503 HTTP.QUEUE_FULL with Retry-After): a queue
   * that grows faster than batches drain it only holds memory and answers clients long after
   * they gave up.
   */
  maxQueued?: number;
  /** The Retry-After of that refusal, in seconds (default 1). */
  retryAfterSeconds?: number;
}

/**
 * A bounded queue of work (a batcher's, the idempotency writer's) is full: the request is refused
 * before anything of it was done, so retrying after `retryAfterSeconds` is safe.
 */
export class QueueFullError extends Error {
  override readonly name = "QueueFullError";
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

interface Waiting<Request, Outcome> {
  request: Request;
  resolve: (outcome: Outcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: requests that arrive together share one transaction, in which `decide` handles
 * them all with a few set-based statements and gives each its own outcome, in order, as if made
 * alone (a refusal is that request's rejected outcome, not an error of the batch). One request's
 * round trips (BEGIN, locks, reads, writes, COMMIT) cost far more CPU and waiting than the work
 * in them; shared, they are paid once per batch.
 *
 * Nothing waits on a timer: a request goes out with the next batch as soon as one of
 * `maxConcurrentBatches` transactions is free, so a lone request takes one transaction of its
 * own at once, and under load the batches grow by themselves with what arrived meanwhile.
 *
 * A transaction that fails as a whole (a constraint the reads could not foresee, a lost
 * connection, a timeout) writes nothing; its requests then go again, each in a transaction of
 * its own, so that one request's failure fails none of the others.
 *
 * `decide` may leave work for after the batch commits (`onCommit(tx, hook)`): it runs once the
 * batch committed and before any request of it is answered, and never for a batch that failed
 * (its requests' own transactions register theirs again). A batch whose hooks failed did commit:
 * it is not run again; each of its requests that succeeded is rejected with an
 * `AfterCommitError` carrying its own outcome.
 */
export class GroupCommit<Request, Outcome> {
  private readonly maxBatch: number;
  private readonly maxConcurrentBatches: number;
  private readonly maxQueued: number;
  private readonly retryAfterSeconds: number;
  private readonly queue: Waiting<Request, Outcome>[] = [];
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly decide: (tx: pg.PoolClient, requests: readonly Request[]) => Promise<PromiseSettledResult<Outcome>[]>,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 64;
    this.maxConcurrentBatches = options.maxConcurrentBatches ?? 1;
    this.maxQueued = options.maxQueued ?? 4_096;
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1;
  }

  /** Requests waiting for a batch now (not those in a running transaction). */
  get queued(): number {
    return this.queue.length;
  }

  /** The request's own outcome once its batch committed; a refusal rejects (a full queue with `QueueFullError`). */
  submit(request: Request): Promise<Outcome> {
    if (this.queue.length >= this.maxQueued) {
      return Promise.reject(new QueueFullError(`${this.queue.length} requests of this kind are already waiting`, this.retryAfterSeconds));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.schedule();
    });
  }

  /** Flush once the current turn of the event loop is over: requests parsed in the same turn go together. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.running < this.maxConcurrentBatches && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.running++;
      void this.run(batch).finally(() => {
        this.running--;
        this.flush();
      });
    }
  }

  private async run(batch: readonly Waiting<Request, Outcome>[]): Promise<void> {
    let results: PromiseSettledResult<Outcome>[];
    try {
      results = await withTransaction(this.pool, (tx) => this.decide(tx, batch.map((waiting) => waiting.request)));
    } catch (error) {
      if (error instanceof AfterCommitError) return this.answerCommitted(batch, error);
      const [only] = batch;
      if (batch.length === 1 && only) return only.reject(error);
      await Promise.all(batch.map((waiting) => this.run([waiting])));
      return;
    }
    results.forEach((result, index) => {
      const waiting = batch[index];
      if (!waiting) return;
      if (result.status === "fulfilled") waiting.resolve(result.value);
      else waiting.reject(result.reason);
    });
  }

  /** A batch that committed but whose after-commit hooks failed: each request learns its outcome with the failure. */
  private answerCommitted(batch: readonly Waiting<Request, Outcome>[], error: AfterCommitError): void {
    const results = error.result as PromiseSettledResult<Outcome>[];
    batch.forEach((waiting, index) => {
      const result = results[index];
      if (result?.status === "rejected") waiting.reject(result.reason);
      else waiting.reject(new AfterCommitError(error.errors, result?.value));
    });
  }
}
