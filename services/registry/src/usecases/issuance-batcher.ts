import type { Actor } from "@kruzhok/actor";
import type { Cause } from "@kruzhok/messaging";
import { GroupCommit, type PoolClient } from "@kruzhok/postgres";
import type { RegistryDeps } from "../deps";
import { applyForCertificates, assertMayApply, type ApplicationOutcome, type CertificateApplicationRequest } from "./issuance";

/** One application as a route makes it, with what else must happen in its transaction (the request's Idempotency-Key). */
export interface BatchedApplication {
  actor: Actor;
  command: { childId: string };
  cause: Cause;
  /**
   * In the batch's transaction, before any application of it: false leaves this one out (it
   * comes back `key-taken`, to be answered from the key). Calls for one batch are made in one
   * turn, so they can share a statement.
   */
  claim?: ((tx: PoolClient) => Promise<boolean>) | undefined;
  /** In the batch's transaction, once this application was issued or held (one turn for the batch, too). */
  record?: ((tx: PoolClient, outcome: ApplicationOutcome) => Promise<void>) | undefined;
}

/** What a batched application comes to: its outcome, or "key-taken" when its key's earlier run answers it. */
export type BatchedOutcome = ApplicationOutcome | { kind: "key-taken" };

type Queued = CertificateApplicationRequest & Pick<BatchedApplication, "claim" | "record">;

export interface IssuanceBatcherOptions {
  /** Applications one transaction takes at most. */
  maxBatch?: number;
  /**
   * Transactions of batches running at once. Two by default: while one waits on Postgres or on
   * this process, the other's statements run. With the Idempotency-Key written in the batch's
   * transaction, two issued faster on the benchmark than one, though their smaller batches cost
   * Postgres a little more CPU per application; three cost more CPU than two for no gain
   * (BENCHMARKS.md). With the key written in commits of its own, one had been faster.
   */
  maxConcurrentBatches?: number;
}

/**
 * Group commit for certificate applications (`GroupCommit`): applications that arrive together
 * share one transaction and the same few set-based statements (`applyForCertificates`), each
 * decided in arrival order as if made alone. Who may apply at all is decided before an
 * application waits for a batch; whether for this child, in the batch.
 *
 * An application with an Idempotency-Key claims it in the same transaction, first (one
 * statement for the batch), and records its response there too, last (one more): a key another
 * run holds or held leaves its application out, and the request is answered from the key.
 */
export class IssuanceBatcher {
  private readonly commits: GroupCommit<Queued, BatchedOutcome>;

  constructor(
    private readonly deps: RegistryDeps,
    options: IssuanceBatcherOptions = {},
  ) {
    this.commits = new GroupCommit(deps.pool, (tx, requests) => applyTogether(tx, requests), {
      maxBatch: options.maxBatch ?? 64,
      maxConcurrentBatches: options.maxConcurrentBatches ?? 2,
    });
  }

  /** Apply for the child's certificate with the next batch, decided as of now. */
  async apply(application: BatchedApplication): Promise<BatchedOutcome> {
    const { actor, command, cause, claim, record } = application;
    assertMayApply(actor);
    return this.commits.submit({ actor, childId: command.childId, now: this.deps.clock(), cause, claim, record });
  }
}

/** A batch in its transaction: the claims, the applications of those claimed, their records. */
async function applyTogether(tx: PoolClient, requests: readonly Queued[]): Promise<PromiseSettledResult<BatchedOutcome>[]> {
  const owned = await Promise.all(requests.map((request) => (request.claim ? request.claim(tx) : Promise.resolve(true))));
  const applying = requests.filter((_, index) => owned[index]);
  const outcomes = applying.length > 0 ? await applyForCertificates(tx, applying) : [];
  // Refusals are not recorded here: the kit records them after the handler, as it does any
  // response the route did not record in its transaction.
  await Promise.all(
    applying.flatMap((request, index) => {
      const outcome = outcomes[index];
      return request.record && outcome?.status === "fulfilled" ? [request.record(tx, outcome.value)] : [];
    }),
  );
  let next = 0;
  return requests.map((_, index) => (owned[index] ? (outcomes[next++] as PromiseSettledResult<BatchedOutcome>) : { status: "fulfilled", value: { kind: "key-taken" } }));
}
