import { GroupCommit, type Pool, type Queryable } from "@kruzhok/postgres";
import { applyForCertificates, type ApplicationOutcome, type CertificateApplicationRequest } from "./issuance";

/**
 * The request's Idempotency-Key, claimed and answered in the transaction of its application
 * (the HTTP kit's in-transaction mode): the certificate and the response a retry replays commit
 * together, with no commit of the key's own before or after.
 */
export interface KeyInTransaction {
  /** True when this run owns the key; false when another run holds or held it (the application is not made). */
  claimIn(tx: Queryable): Promise<boolean>;
  /** Record the response of an application that was issued or held. */
  recordIn(tx: Queryable, outcome: ApplicationOutcome): Promise<void>;
}

export interface BatchedApplication extends CertificateApplicationRequest {
  idempotency?: KeyInTransaction | undefined;
}

/** What a batched application comes to: its outcome, or "taken" when its key's earlier run answers it. */
export type BatchedOutcome = ApplicationOutcome | { kind: "key-taken" };

export interface IssuanceBatcherOptions {
  /** Applications one transaction takes at most. */
  maxBatch?: number;
  /**
   * Transactions of batches running at once. Two by default: while one waits on Postgres or on
   * this process, the other's statements run. With the Idempotency-Key written in the batch's
   * transaction, two ran faster on the benchmark than one (1,404-1,566/s against 1,249-1,458/s,
   * quiet machine), though smaller batches cost more Postgres CPU per application (~400 µs
   * against ~320-390 µs); three cost ~20 % more CPU than two for no gain. (With the key written
   * in commits of its own, one had won: 691/s against 587/s.)
   */
  maxConcurrentBatches?: number;
}

/**
 * Group commit for certificate applications (`GroupCommit`): applications that arrive together
 * share one transaction and the same few set-based statements (`applyForCertificates`), each
 * decided in arrival order as if made alone.
 *
 * An application with an Idempotency-Key claims it in the same transaction, first (one
 * statement for the batch), and records its response there too, last (one more): a key another
 * run holds or held leaves its application out, and the request is answered from the key.
 */
export class IssuanceBatcher {
  private readonly commits: GroupCommit<BatchedApplication, BatchedOutcome>;

  constructor(pool: Pool, options: IssuanceBatcherOptions = {}) {
    this.commits = new GroupCommit(pool, (tx, requests) => this.applyTogether(tx, requests), {
      maxBatch: options.maxBatch ?? 64,
      maxConcurrentBatches: options.maxConcurrentBatches ?? 2,
    });
  }

  apply(request: BatchedApplication): Promise<BatchedOutcome> {
    return this.commits.submit(request);
  }

  private async applyTogether(tx: Queryable, requests: readonly BatchedApplication[]): Promise<PromiseSettledResult<BatchedOutcome>[]> {
    const owned = await Promise.all(requests.map((request) => (request.idempotency ? request.idempotency.claimIn(tx) : Promise.resolve(true))));
    const applying = requests.filter((_, index) => owned[index]);
    const outcomes = applying.length > 0 ? await applyForCertificates(tx, applying) : [];
    // Refusals are not recorded here: the kit records them after the handler, as it does any
    // response the route did not record in its transaction.
    await Promise.all(
      applying.flatMap((request, index) => {
        const outcome = outcomes[index];
        return request.idempotency && outcome?.status === "fulfilled" ? [request.idempotency.recordIn(tx, outcome.value)] : [];
      }),
    );
    let next = 0;
    return requests.map((_, index) => (owned[index] ? (outcomes[next++] as PromiseSettledResult<BatchedOutcome>) : { status: "fulfilled", value: { kind: "key-taken" } }));
  }
}
