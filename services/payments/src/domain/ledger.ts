// The ledger's vocabulary and its pure rules: TigerBeetle's account flags and transfer kinds,
// named for what they mean here. The store (store/ledger.ts) applies transfers; the database
// enforces the flags (store/migrations/0001_ledger.sql).
import { v5 as uuidv5 } from "uuid";
import { paymentsError } from "./errors";

export const AccountKinds = ["budget_source", "budget", "certificate", "provider_payable", "provider_paid", "family_receivable", "benefits", "compensations", "test"] as const;
export type AccountKind = (typeof AccountKinds)[number];

export interface AccountFlags {
  debitsMustNotExceedCredits: boolean;
  creditsMustNotExceedDebits: boolean;
}

/**
 * Which balance of each kind may never go negative:
 * - budget, certificate: credit balances (money held); they can spend only what they were given;
 * - family_receivable: what a family owes (a debit balance); benefits and payments cannot credit
 *   it beyond what was charged;
 * - budget_source, provider_paid, benefits, compensations: where money comes from and goes to
 *   outside the ledger (appropriations, payments made, discounts granted); unconstrained;
 * - provider_payable: what the municipality owes a provider. Unconstrained on purpose: a
 *   correction that lowers a month already paid leaves the provider owing the difference (a
 *   negative payable to recover), which is a true state, not an error. A register is never paid
 *   beyond its own total (usecases/registers.ts).
 */
export function flagsOf(kind: AccountKind): AccountFlags {
  switch (kind) {
    case "budget":
    case "certificate":
      return { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: false };
    case "family_receivable":
      return { debitsMustNotExceedCredits: false, creditsMustNotExceedDebits: true };
    case "budget_source":
    case "provider_payable":
    case "provider_paid":
    case "benefits":
    case "compensations":
    case "test":
      return { debitsMustNotExceedCredits: false, creditsMustNotExceedDebits: false };
    default: {
      const never: never = kind;
      throw new Error(`unknown account kind ${String(never)}`);
    }
  }
}

const NAMESPACE = "6f1d1d2e-6b39-4b8e-9d0e-3f1f4f6b2a10";

/**
 * An account's id, derived from what it is: the same account is found without a lookup. `scope`
 * tells apart accounts of one owner and year that belong to different municipalities (a
 * certificate financed again by the municipality it moved to: see certificateAccountOf).
 */
export function accountId(kind: AccountKind, ownerId: string, year: number, scope?: string): string {
  const name = `account:${kind}:${ownerId}:${year}${scope === undefined ? "" : `:${scope}`}`;
  let id = accountIds.get(name);
  if (id === undefined) {
    // Bounded: a month's billing derives a few accounts per enrollment, each several times.
    if (accountIds.size >= 400_000) accountIds.clear();
    id = uuidv5(name, NAMESPACE);
    accountIds.set(name, id);
  }
  return id;
}

/** accountId's results: a name-based uuid is a SHA-1, and billing a batch asks for the same accounts again and again. */
const accountIds = new Map<string, string>();

/** What decides a certificate's account of a year: the financing request that funds it. */
export interface CertificateFinancing {
  certificateId: string;
  year: number;
  municipalityId: string;
  /** Financed after moving in from another municipality that year: an account of its own, in this municipality's books. */
  movedIn: boolean;
}

/**
 * The certificate's account of a year for the municipality that financed it: the certificate and
 * the year name it, and the municipality too once the certificate moved in from another (each
 * municipality's books hold their own money; the first municipality's id is the one it always was).
 */
export function certificateAccountOf(f: CertificateFinancing): string {
  return accountId("certificate", f.certificateId, f.year, f.movedIn ? f.municipalityId : undefined);
}

/** A transfer of a financing request (financing, release, the year's end): derived as certificateAccountOf is, so each municipality's is its own. */
export function financingTransferId(what: string, f: CertificateFinancing, ...more: readonly (string | number)[]): string {
  return f.movedIn ? derivedTransferId(what, f.certificateId, f.year, ...more, f.municipalityId) : derivedTransferId(what, f.certificateId, f.year, ...more);
}

/** A transfer id derived from its cause, so that a redelivered cause finds the same transfer. */
export function derivedTransferId(...parts: readonly (string | number)[]): string {
  return uuidv5(`transfer:${parts.join(":")}`, NAMESPACE);
}

export interface AccountRef {
  kind: AccountKind;
  ownerId: string;
  year: number;
  municipalityId: string;
  currency: string;
  /** See accountId. */
  scope?: string | undefined;
}

/** Why a posting was made: the event it answers, or the command (and who gave it). */
export interface PostingCause {
  eventId?: string | null;
  command?: string | null;
}

/**
 * One transfer as TigerBeetle knows it. `single` moves money at once; `pending` reserves it
 * (debits_pending / credits_pending); `post_pending` posts a pending transfer (all of it, or
 * `amount` of it, the rest released), `void_pending` releases it. `balancingDebit` clamps the
 * amount to what the debit account holds. `linked` chains this transfer to the next: the chain
 * succeeds or fails as one.
 */
export interface TransferInput {
  id: string;
  kind: "single" | "pending" | "post_pending" | "void_pending";
  debitAccountId?: string;
  creditAccountId?: string;
  amount?: number;
  pendingId?: string;
  balancingDebit?: boolean;
  linked?: boolean;
  code: string;
  cause: PostingCause;
}

/** An account's balances and the flags that bound them (TigerBeetle's). */
export interface AccountBalances {
  debitsPending: number;
  debitsPosted: number;
  creditsPending: number;
  creditsPosted: number;
  debitsMustNotExceedCredits: boolean;
  creditsMustNotExceedDebits: boolean;
}

/** A transfer as the ledger keeps it (what was asked, resolved: a balancing amount is the one moved). */
export interface TransferRecord {
  id: string;
  debitAccountId: string;
  creditAccountId: string;
  amount: number;
  currency: string;
  kind: TransferInput["kind"];
  balancingDebit: boolean;
  pendingId: string | null;
  code: string;
  causeEventId: string | null;
  causeCommand: string | null;
}

export const TransferResults = [
  "ok",
  "exists",
  "exists_with_different_fields",
  "linked_event_failed",
  "linked_event_chain_open",
  "amount_invalid",
  "accounts_must_be_different",
  "debit_account_not_found",
  "credit_account_not_found",
  "accounts_must_have_the_same_currency",
  "cause_missing",
  "pending_transfer_not_found",
  "pending_transfer_not_pending",
  "pending_transfer_already_posted",
  "pending_transfer_already_voided",
  "exceeds_pending_transfer_amount",
  "exceeds_credits",
  "exceeds_debits",
] as const;
export type TransferResult = (typeof TransferResults)[number];

export interface TransferOutcome {
  id: string;
  result: TransferResult;
  /** The amount moved (a balancing transfer's clamped amount; a repeat's original). */
  amount?: number;
}

/** A transfer result that leaves the ledger as a success does (a repeat of the same transfer). */
export function succeeded(result: TransferResult): boolean {
  return result === "ok" || result === "exists";
}

/** Amounts are safe, non-negative whole numbers of minor units: the ledger refuses anything else. */
export function validAmount(amount: unknown): amount is number {
  return typeof amount === "number" && Number.isSafeInteger(amount) && amount >= 0;
}

/** Chains of linked transfers, in order: a transfer with `linked` belongs to the next one's chain. */
export function chainsOf<T extends { linked?: boolean }>(transfers: readonly T[]): T[][] {
  const chains: T[][] = [];
  let open: T[] = [];
  for (const transfer of transfers) {
    open.push(transfer);
    if (!transfer.linked) {
      chains.push(open);
      open = [];
    }
  }
  if (open.length > 0) chains.push(open);
  return chains;
}

/** Throw a domain error naming the first failed transfer (for use cases that need all to pass). */
export function requireAllPosted(outcomes: readonly TransferOutcome[]): void {
  const failed = outcomes.find((o) => !succeeded(o.result) && o.result !== "linked_event_failed") ?? outcomes.find((o) => !succeeded(o.result));
  if (failed) {
    throw paymentsError(failed.result === "exceeds_credits" ? "INSUFFICIENT_FUNDS" : "TRANSFER_REFUSED", `Transfer ${failed.id} refused: ${failed.result}`, {
      transferId: failed.id,
      reason: failed.result,
    });
  }
}
