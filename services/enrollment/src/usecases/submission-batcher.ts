import { withTransaction, type Pool, type PoolClient } from "@kruzhok/postgres";
import type { ApplicationRow } from "../store/applications";
import { submitApplications, type SubmitCommand } from "./applications";

export interface SubmissionBatcherOptions {
  /** Applications one transaction takes at most. */
  maxBatch?: number;
  /**
   * Transactions of batches running at once. One by default: while it runs, the next batch
   * gathers; two batches at once would mostly wait for each other's queue locks anyway (an
   * opening-day crowd applies to a few hundred groups), and fewer, larger batches cost less CPU
   * here and in Postgres per application.
   */
  maxConcurrentBatches?: number;
}

/** One submission, with what else must happen in its transaction (the route's Idempotency-Key). */
export interface Submission {
  command: SubmitCommand;
  /**
   * In the batch's transaction, before any submission of it: false leaves this one out (it comes
   * back `taken`). Calls for one batch are made in one turn, so they can share a statement.
   */
  claim?: (tx: PoolClient) => Promise<boolean>;
  /** In the batch's transaction, once this submission's application is written (one turn for the batch, too). */
  record?: (tx: PoolClient, application: ApplicationRow) => Promise<void>;
}

export type SubmissionOutcome = { kind: "submitted"; application: ApplicationRow } | { kind: "taken" };

interface Waiting {
  submission: Submission;
  resolve: (outcome: SubmissionOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for submissions (the registry's `IssuanceBatcher` does the same for certificate
 * applications). A submission costs a handful of round trips to Postgres (BEGIN, the children's
 * locks, the queue locks and facts, the insert, the outbox, COMMIT), each of which costs far more
 * CPU and waiting than the work in it; submissions that arrive together share one transaction and
 * the same few set-based statements instead (`submitApplications`).
 *
 * Nothing waits on a timer: a submission goes out with the next batch as soon as one of
 * `maxConcurrentBatches` transactions is free, so a lone submission takes one transaction of its
 * own at once, and under load the batches grow by themselves with what arrived meanwhile.
 *
 * Each submission gets its own outcome, as if made alone (`submitApplications` decides them in
 * arrival order, and in each group stamps their accepted-at instants in that order under the
 * group's queue lock). A transaction that fails as a whole (a constraint the reads could not
 * foresee, a group that joined a campaign meanwhile, a lost connection, a timeout) writes
 * nothing; its submissions then go again, each in a transaction of its own, so that one
 * submission's failure fails none of the others.
 */
export class SubmissionBatcher {
  private readonly maxBatch: number;
  private readonly maxConcurrentBatches: number;
  private readonly queue: Waiting[] = [];
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly pool: Pool,
    options: SubmissionBatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 64;
    this.maxConcurrentBatches = options.maxConcurrentBatches ?? 1;
  }

  /** The submission's outcome: its application, or `taken` (its `claim` said no); a refusal rejects. */
  submit(submission: Submission): Promise<SubmissionOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ submission, resolve, reject });
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

  private async run(batch: readonly Waiting[]): Promise<void> {
    let results: PromiseSettledResult<SubmissionOutcome>[];
    try {
      results = await withTransaction(this.pool, (tx) => inTransaction(tx, batch.map((waiting) => waiting.submission)));
    } catch (error) {
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
}

/** A batch in its transaction: the claims, the submissions of those claimed, their records. */
async function inTransaction(tx: PoolClient, submissions: readonly Submission[]): Promise<PromiseSettledResult<SubmissionOutcome>[]> {
  const claimed = await Promise.all(submissions.map((s) => (s.claim ? s.claim(tx) : Promise.resolve(true))));
  const going = submissions.filter((_, index) => claimed[index]);
  const submitted = going.length > 0 ? await submitApplications(tx, going.map((s) => s.command)) : [];
  await Promise.all(
    submitted.map((result, index) => {
      const record = going[index]?.record;
      return result.status === "fulfilled" && record ? record(tx, result.value) : Promise.resolve();
    }),
  );
  const outcomes = new Map(going.map((s, index) => [s, submitted[index]]));
  return submissions.map((s): PromiseSettledResult<SubmissionOutcome> => {
    const result = outcomes.get(s);
    if (!result) return { status: "fulfilled", value: { kind: "taken" } };
    return result.status === "fulfilled" ? { status: "fulfilled", value: { kind: "submitted", application: result.value } } : result;
  });
}
