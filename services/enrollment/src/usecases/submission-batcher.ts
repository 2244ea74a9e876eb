import { requireRole } from "@kruzhok/actor";
import { gauge, type Gauge, type Registry } from "@kruzhok/observability";
import { GroupCommit, type PoolClient } from "@kruzhok/postgres";
import type { ApplicationRow } from "../store/applications";
import { submitApplications, type Submission, type SubmissionDeps } from "./submission";

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
  /** Where `enrollment_submissions_in_flight` is reported. */
  metrics?: Registry | undefined;
}

/** One submission, with what else must happen in its transaction (the route's Idempotency-Key). */
export interface BatchedSubmission extends Submission {
  /**
   * In the batch's transaction, before any submission of it: false leaves this one out (it comes
   * back `taken`). Calls for one batch are made in one turn, so they can share a statement.
   */
  claim?: ((tx: PoolClient) => Promise<boolean>) | undefined;
  /** In the batch's transaction, once this submission's application is written (one turn for the batch, too). */
  record?: ((tx: PoolClient, application: ApplicationRow) => Promise<void>) | undefined;
}

export type SubmissionOutcome = { kind: "submitted"; application: ApplicationRow } | { kind: "taken" };

/**
 * Submissions as families and offices make them, group-committed (`GroupCommit`; the registry's
 * `IssuanceBatcher` does the same for certificate applications): submissions that arrive
 * together share one transaction and the same few set-based statements (`submitApplications`).
 * Each gets its own outcome, as if made alone: `submitApplications` decides them in arrival
 * order, and in each group stamps their accepted-at instants in that order under the group's
 * queue lock. A batch that fails as a whole (a group that joined a campaign meanwhile, among
 * others) goes again one submission at a time. The batch's after-commit work (the Redis index,
 * the position lookups) is done before any of its submissions is answered.
 */
export class SubmissionBatcher {
  private readonly commits: GroupCommit<BatchedSubmission, SubmissionOutcome>;
  private inFlight = 0;

  constructor(deps: SubmissionDeps, options: SubmissionBatcherOptions = {}) {
    this.commits = new GroupCommit(deps.pool, (tx, submissions) => inTransaction(tx, deps, submissions), {
      maxBatch: options.maxBatch ?? 64,
      maxConcurrentBatches: options.maxConcurrentBatches ?? 1,
    });
    if (options.metrics) {
      const reported: Gauge = gauge(options.metrics, {
        name: "enrollment_submissions_in_flight",
        help: "Submissions taken and not yet answered: waiting for a batch, or in its transaction",
        collect: () => reported.set(this.inFlight),
      });
    }
  }

  /**
   * The submission's outcome: its application, or `taken` (its `claim` said no); a refusal
   * rejects. Who may apply at all (a guardian, or an operator for a family at the office) is
   * decided before it waits for a batch; the rest of who may act, in the batch (`admit`).
   */
  async submit(submission: BatchedSubmission): Promise<SubmissionOutcome> {
    requireRole(submission.actor, "guardian", "operator");
    this.inFlight++;
    try {
      return await this.commits.submit(submission);
    } finally {
      this.inFlight--;
    }
  }
}

/** A batch in its transaction: the claims, the submissions of those claimed, their records. */
async function inTransaction(tx: PoolClient, deps: SubmissionDeps, submissions: readonly BatchedSubmission[]): Promise<PromiseSettledResult<SubmissionOutcome>[]> {
  const claimed = await Promise.all(submissions.map((s) => (s.claim ? s.claim(tx) : Promise.resolve(true))));
  const going = submissions.filter((_, index) => claimed[index]);
  const submitted = going.length > 0 ? await submitApplications(tx, deps, going) : [];
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
