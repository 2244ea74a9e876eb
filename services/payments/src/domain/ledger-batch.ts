// Many transfers decided in memory and written together (store/ledger.ts `writeLedgerBatch`):
// the same rules as `createTransfers` applies one statement at a time (TigerBeetle's: amounts,
// different accounts of one currency, balancing debits clamped to what the debit account holds,
// a pending transfer voided once and in full, the accounts' flags), so that a batch of bills
// posts what posting them one by one in the same order would. The database still judges every
// account's new balance by its CHECK constraints when the batch is written.
import { validAmount, type AccountBalances, type PostingCause, type TransferInput, type TransferRecord } from "./ledger";

export interface BatchAccount extends AccountBalances {
  id: string;
  currency: string;
}

export interface BatchPending {
  id: string;
  debitAccountId: string;
  creditAccountId: string;
  amount: number;
  /** Posted or voided already. */
  resolved: boolean;
}

export type BatchTransferRow = TransferRecord & { municipalityId: string };

export interface BalanceDelta {
  id: string;
  debitsPending: number;
  debitsPosted: number;
  creditsPending: number;
  creditsPosted: number;
}

/** A transfer the batch cannot make as `createTransfers` would: the caller bills that summary on its own instead. */
export class NotInBatch extends Error {
  constructor(readonly transferId: string, readonly reason: string) {
    super(`transfer ${transferId} cannot be made in a batch: ${reason}`);
  }
}

export class LedgerBatch {
  readonly rows: BatchTransferRow[] = [];
  readonly resolutions: { pendingId: string; transferId: string; kind: "void_pending" }[] = [];
  private readonly deltas = new Map<string, BalanceDelta>();
  private readonly made = new Set<string>();
  /** What to take back to return to a checkpoint: balance changes and voided pendings, newest last. */
  private readonly undo: ({ kind: "delta"; id: string; change: Partial<Omit<BalanceDelta, "id">> } | { kind: "pending"; pending: BatchPending })[] = [];

  /** `accounts`: every account a transfer of the batch may touch, as stored (locked by the caller); `pendings`: the pending transfers it may void. */
  constructor(
    private readonly accounts: ReadonlyMap<string, BatchAccount>,
    private readonly pendings: Map<string, BatchPending>,
  ) {}

  /** Whether the account exists (the stored ones the caller loaded). */
  has(accountId: string): boolean {
    return this.accounts.has(accountId);
  }

  /** What a credit-balance account may spend now: posted credits less posted and pending debits, with this batch's changes. */
  available(accountId: string): number {
    const account = this.account(accountId, accountId);
    const delta = this.deltas.get(accountId);
    return account.creditsPosted + (delta?.creditsPosted ?? 0) - account.debitsPosted - (delta?.debitsPosted ?? 0) - account.debitsPending - (delta?.debitsPending ?? 0);
  }

  /** Make a single or pending transfer; returns the amount moved (a balancing debit's may be less than asked, even 0). */
  transfer(municipalityId: string, t: TransferInput & { kind: "single" | "pending"; debitAccountId: string; creditAccountId: string; amount: number }): number {
    this.fresh(t.id, t.cause);
    if (!validAmount(t.amount) || t.amount === 0) throw new NotInBatch(t.id, "amount_invalid");
    if (t.debitAccountId === t.creditAccountId) throw new NotInBatch(t.id, "accounts_must_be_different");
    const debit = this.account(t.id, t.debitAccountId);
    const credit = this.account(t.id, t.creditAccountId);
    if (debit.currency !== credit.currency) throw new NotInBatch(t.id, "accounts_must_have_the_same_currency");
    const amount = t.balancingDebit ? Math.max(0, Math.min(t.amount, this.available(debit.id))) : t.amount;
    const pending = t.kind === "pending" ? amount : 0;
    const posted = t.kind === "single" ? amount : 0;
    this.add(debit.id, { debitsPending: pending, debitsPosted: posted });
    this.add(credit.id, { creditsPending: pending, creditsPosted: posted });
    this.check(t.id, debit);
    this.check(t.id, credit);
    this.record(municipalityId, t, debit.id, credit.id, amount, debit.currency, null);
    return amount;
  }

  /** Void a pending transfer: what it held is released on both accounts. */
  void(municipalityId: string, t: { id: string; pendingId: string; code: string; cause: PostingCause }): void {
    this.fresh(t.id, t.cause);
    const pending = this.pendings.get(t.pendingId);
    if (!pending) throw new NotInBatch(t.id, "pending_transfer_not_found");
    if (pending.resolved) throw new NotInBatch(t.id, "pending_transfer_already_resolved");
    const debit = this.account(t.id, pending.debitAccountId);
    const credit = this.account(t.id, pending.creditAccountId);
    this.add(debit.id, { debitsPending: -pending.amount });
    this.add(credit.id, { creditsPending: -pending.amount });
    this.undo.push({ kind: "pending", pending });
    this.pendings.set(pending.id, { ...pending, resolved: true });
    this.record(municipalityId, { id: t.id, kind: "void_pending", code: t.code, cause: t.cause }, debit.id, credit.id, pending.amount, debit.currency, pending.id);
    this.resolutions.push({ pendingId: pending.id, transferId: t.id, kind: "void_pending" });
  }

  /** Where the batch stands, to return to when a bill's later transfer cannot be made in it. */
  checkpoint(): { rows: number; resolutions: number; undo: number } {
    return { rows: this.rows.length, resolutions: this.resolutions.length, undo: this.undo.length };
  }

  /** Take back everything made since `checkpoint`. */
  rollback(to: { rows: number; resolutions: number; undo: number }): void {
    while (this.undo.length > to.undo) {
      const step = this.undo.pop()!;
      if (step.kind === "pending") {
        this.pendings.set(step.pending.id, step.pending);
        continue;
      }
      const delta = this.deltas.get(step.id)!;
      delta.debitsPending -= step.change.debitsPending ?? 0;
      delta.debitsPosted -= step.change.debitsPosted ?? 0;
      delta.creditsPending -= step.change.creditsPending ?? 0;
      delta.creditsPosted -= step.change.creditsPosted ?? 0;
    }
    for (const row of this.rows.splice(to.rows)) this.made.delete(row.id);
    this.resolutions.splice(to.resolutions);
  }

  /** The net change of each account the batch touched. */
  balanceDeltas(): BalanceDelta[] {
    return [...this.deltas.values()];
  }

  private fresh(id: string, cause: PostingCause): void {
    // Ids made before the batch are refused by the primary key when it is written (the summary is then billed alone, where a repeat is `exists`).
    if (this.made.has(id)) throw new NotInBatch(id, "exists");
    if (!cause.eventId && !cause.command) throw new NotInBatch(id, "cause_missing");
  }

  private account(transferId: string, id: string): BatchAccount {
    const account = this.accounts.get(id);
    if (!account) throw new NotInBatch(transferId, "account_not_found");
    return account;
  }

  private add(id: string, change: Partial<Omit<BalanceDelta, "id">>): void {
    const delta = this.deltas.get(id) ?? { id, debitsPending: 0, debitsPosted: 0, creditsPending: 0, creditsPosted: 0 };
    delta.debitsPending += change.debitsPending ?? 0;
    delta.debitsPosted += change.debitsPosted ?? 0;
    delta.creditsPending += change.creditsPending ?? 0;
    delta.creditsPosted += change.creditsPosted ?? 0;
    this.deltas.set(id, delta);
    this.undo.push({ kind: "delta", id, change });
  }

  /** The account's flags after each transfer, as the CHECK constraints judge a statement's rows. */
  private check(transferId: string, account: BatchAccount): void {
    const d = this.deltas.get(account.id)!;
    const debits = account.debitsPending + d.debitsPending + account.debitsPosted + d.debitsPosted;
    const credits = account.creditsPending + d.creditsPending + account.creditsPosted + d.creditsPosted;
    if (account.debitsMustNotExceedCredits && debits > account.creditsPosted + d.creditsPosted) throw new NotInBatch(transferId, "exceeds_credits");
    if (account.creditsMustNotExceedDebits && credits > account.debitsPosted + d.debitsPosted) throw new NotInBatch(transferId, "exceeds_debits");
  }

  private record(municipalityId: string, t: Pick<TransferInput, "id" | "kind" | "balancingDebit" | "code" | "cause">, debitAccountId: string, creditAccountId: string, amount: number, currency: string, pendingId: string | null): void {
    this.made.add(t.id);
    this.rows.push({
      id: t.id,
      municipalityId,
      debitAccountId,
      creditAccountId,
      amount,
      currency,
      kind: t.kind,
      balancingDebit: t.balancingDebit ?? false,
      pendingId,
      code: t.code,
      causeEventId: t.cause.eventId ?? null,
      causeCommand: t.cause.command ?? null,
    });
  }
}
