import type { PoolClient, Queryable } from "@kruzhok/postgres";
import {
  chainsOf,
  flagsOf,
  validAmount,
  accountId as idOf,
  type AccountBalances,
  type AccountKind,
  type AccountRef,
  type TransferInput,
  type TransferOutcome,
  type TransferRecord,
  type TransferResult,
} from "../domain/ledger";

// The ledger on Postgres with TigerBeetle's transfer semantics. Every statement about accounts
// and transfers is here. `createTransfers` runs in the caller's transaction; each linked chain
// in a savepoint, so a chain that fails leaves nothing behind while the others stand.

export interface AccountRow extends AccountBalances {
  id: string;
  municipalityId: string;
  currency: string;
  kind: AccountKind;
  ownerId: string;
  year: number;
}

const accountColumns = `id, municipality_id AS "municipalityId", currency, kind, owner_id AS "ownerId", year,
  debits_pending AS "debitsPending", debits_posted AS "debitsPosted", credits_pending AS "creditsPending", credits_posted AS "creditsPosted",
  debits_must_not_exceed_credits AS "debitsMustNotExceedCredits", credits_must_not_exceed_debits AS "creditsMustNotExceedDebits"`;

/** Open accounts that do not exist yet (their flags follow their kind); returns their ids in order. */
export async function ensureAccounts(db: Queryable, refs: readonly AccountRef[], now: Date): Promise<string[]> {
  if (refs.length === 0) return [];
  const ids = refs.map((r) => idOf(r.kind, r.ownerId, r.year, r.scope));
  await db.query(
    `INSERT INTO ledger_accounts (id, municipality_id, currency, kind, owner_id, year, debits_must_not_exceed_credits, credits_must_not_exceed_debits, created_at)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::int[], $7::bool[], $8::bool[]) AS a, LATERAL (SELECT $9::timestamptz) AS t
     ORDER BY 1
     ON CONFLICT DO NOTHING`,
    [
      ids,
      refs.map((r) => r.municipalityId),
      refs.map((r) => r.currency),
      refs.map((r) => r.kind),
      refs.map((r) => r.ownerId),
      refs.map((r) => r.year),
      refs.map((r) => flagsOf(r.kind).debitsMustNotExceedCredits),
      refs.map((r) => flagsOf(r.kind).creditsMustNotExceedDebits),
      now,
    ],
  );
  return ids;
}

export async function findAccounts(db: Queryable, ids: readonly string[]): Promise<AccountRow[]> {
  const { rows } = await db.query<AccountRow>(`SELECT ${accountColumns} FROM ledger_accounts WHERE id = ANY($1::uuid[]) ORDER BY id`, [ids]);
  return rows;
}

export async function accountsOf(db: Queryable, municipalityId: string, year: number): Promise<AccountRow[]> {
  const { rows } = await db.query<AccountRow>(`SELECT ${accountColumns} FROM ledger_accounts WHERE municipality_id = $1 AND year = $2 ORDER BY id`, [municipalityId, year]);
  return rows;
}

/** What a credit-balance account holds and may spend: posted credits less posted and pending debits. */
export function available(account: Pick<AccountRow, "creditsPosted" | "debitsPosted" | "debitsPending">): number {
  return account.creditsPosted - account.debitsPosted - account.debitsPending;
}

type StoredTransfer = TransferRecord;

const transferColumns = `id, debit_account_id AS "debitAccountId", credit_account_id AS "creditAccountId", amount, currency, kind,
  balancing_debit AS "balancingDebit", pending_id AS "pendingId", code, cause_event_id AS "causeEventId", cause_command AS "causeCommand"`;

async function findTransfer(tx: Queryable, id: string): Promise<StoredTransfer | undefined> {
  const { rows } = await tx.query<StoredTransfer>(`SELECT ${transferColumns} FROM ledger_transfers WHERE id = $1`, [id]);
  return rows[0];
}

/** A repeat is the same transfer when every field the caller chose is the same (a balancing amount is the ledger's). */
function sameTransfer(stored: StoredTransfer, t: TransferInput): boolean {
  return (
    stored.kind === t.kind &&
    (t.debitAccountId === undefined || stored.debitAccountId === t.debitAccountId) &&
    (t.creditAccountId === undefined || stored.creditAccountId === t.creditAccountId) &&
    (t.amount === undefined || stored.balancingDebit || stored.amount === t.amount) &&
    stored.balancingDebit === (t.balancingDebit ?? false) &&
    stored.pendingId === (t.pendingId ?? null) &&
    stored.code === t.code
  );
}

class Refused extends Error {
  constructor(readonly result: TransferResult) {
    super(result);
  }
}

interface PgError {
  code?: string;
  constraint?: string;
}

/**
 * Apply `transfers` in order, each linked chain all or nothing, in `tx`. Returns one outcome per
 * transfer: `ok`, `exists` (the same transfer was made before: nothing changes, its amount is
 * returned) or why it was refused.
 */
export async function createTransfers(tx: PoolClient, municipalityId: string, transfers: readonly TransferInput[], now: Date): Promise<TransferOutcome[]> {
  const outcomes: TransferOutcome[] = [];
  const chains = chainsOf(transfers);
  for (const [index, chain] of chains.entries()) {
    const open = index === chains.length - 1 && chain.at(-1)?.linked === true;
    if (open) {
      outcomes.push(...chain.map((t) => ({ id: t.id, result: "linked_event_chain_open" as const })));
      continue;
    }
    outcomes.push(...(await applyChain(tx, municipalityId, chain, now)));
  }
  return outcomes;
}

async function applyChain(tx: PoolClient, municipalityId: string, chain: readonly TransferInput[], now: Date): Promise<TransferOutcome[]> {
  // A concurrent insert of the same id wins the primary key: the chain is then re-read once,
  // and finds the transfer made.
  for (let attempt = 0; ; attempt += 1) {
    await tx.query("SAVEPOINT ledger_chain");
    const done: TransferOutcome[] = [];
    let failed: { index: number; result: TransferResult } | undefined;
    for (const [index, transfer] of chain.entries()) {
      try {
        done.push(await applyOne(tx, municipalityId, transfer, now));
      } catch (error) {
        const pg = error as PgError;
        if (error instanceof Refused) failed = { index, result: error.result };
        else if (pg.code === "23514" && pg.constraint === "exceeds_credits") failed = { index, result: "exceeds_credits" };
        else if (pg.code === "23514" && pg.constraint === "exceeds_debits") failed = { index, result: "exceeds_debits" };
        else if (pg.code === "23505" && attempt === 0) failed = { index: -1, result: "exists" };
        else {
          await tx.query("ROLLBACK TO SAVEPOINT ledger_chain");
          throw error;
        }
        break;
      }
    }
    if (failed === undefined) {
      await tx.query("RELEASE SAVEPOINT ledger_chain");
      return done;
    }
    await tx.query("ROLLBACK TO SAVEPOINT ledger_chain");
    if (failed.index === -1) continue;
    const failedIndex = failed.index;
    const failedResult = failed.result;
    return chain.map((t, i) => ({ id: t.id, result: i === failedIndex ? failedResult : "linked_event_failed" }));
  }
}

async function applyOne(tx: PoolClient, municipalityId: string, t: TransferInput, now: Date): Promise<TransferOutcome> {
  const existing = await findTransfer(tx, t.id);
  if (existing) {
    if (!sameTransfer(existing, t)) throw new Refused("exists_with_different_fields");
    return { id: t.id, result: "exists", amount: existing.amount };
  }
  if (!t.cause.eventId && !t.cause.command) throw new Refused("cause_missing");

  let debitId: string;
  let creditId: string;
  let amount: number;
  let pending: StoredTransfer | undefined;
  if (t.kind === "single" || t.kind === "pending") {
    if (!validAmount(t.amount) || t.amount === 0) throw new Refused("amount_invalid");
    if (!t.debitAccountId || !t.creditAccountId) throw new Refused(!t.debitAccountId ? "debit_account_not_found" : "credit_account_not_found");
    if (t.debitAccountId === t.creditAccountId) throw new Refused("accounts_must_be_different");
    debitId = t.debitAccountId;
    creditId = t.creditAccountId;
    amount = t.amount;
  } else {
    if (!t.pendingId) throw new Refused("pending_transfer_not_found");
    pending = await findTransfer(tx, t.pendingId);
    if (!pending) throw new Refused("pending_transfer_not_found");
    if (pending.kind !== "pending") throw new Refused("pending_transfer_not_pending");
    const { rows } = await tx.query<{ kind: string }>(`SELECT kind FROM ledger_pending_resolutions WHERE pending_id = $1`, [pending.id]);
    if (rows[0]) throw new Refused(rows[0].kind === "post_pending" ? "pending_transfer_already_posted" : "pending_transfer_already_voided");
    debitId = pending.debitAccountId;
    creditId = pending.creditAccountId;
    if (t.kind === "post_pending") {
      amount = t.amount ?? pending.amount;
      if (!validAmount(amount)) throw new Refused("amount_invalid");
      if (amount > pending.amount) throw new Refused("exceeds_pending_transfer_amount");
    } else {
      amount = pending.amount;
    }
  }

  // Lock both accounts in id order: two transfers between the same accounts in opposite
  // directions then queue instead of deadlocking.
  const { rows: accounts } = await tx.query<AccountRow>(`SELECT ${accountColumns} FROM ledger_accounts WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [[debitId, creditId]]);
  const debit = accounts.find((a) => a.id === debitId);
  const credit = accounts.find((a) => a.id === creditId);
  if (!debit) throw new Refused("debit_account_not_found");
  if (!credit) throw new Refused("credit_account_not_found");
  if (debit.currency !== credit.currency) throw new Refused("accounts_must_have_the_same_currency");
  if (t.balancingDebit && (t.kind === "single" || t.kind === "pending")) amount = Math.max(0, Math.min(amount, available(debit)));

  await tx.query(
    `INSERT INTO ledger_transfers (id, municipality_id, debit_account_id, credit_account_id, amount, currency, kind, balancing_debit, pending_id, code,
                                   cause_event_id, cause_command, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [t.id, municipalityId, debitId, creditId, amount, debit.currency, t.kind, t.balancingDebit ?? false, t.pendingId ?? null, t.code, t.cause.eventId ?? null, t.cause.command ?? null, now],
  );
  if (pending) await tx.query(`INSERT INTO ledger_pending_resolutions (pending_id, transfer_id, kind) VALUES ($1, $2, $3)`, [pending.id, t.id, t.kind]);

  // The balance change, one statement for both rows: the CHECK constraints judge the new rows.
  const released = pending?.amount ?? 0;
  const delta = {
    pending: t.kind === "pending" ? amount : t.kind === "single" ? 0 : -released,
    posted: t.kind === "single" || t.kind === "post_pending" ? amount : 0,
  };
  if (amount > 0 || released > 0) {
    await tx.query(
      `UPDATE ledger_accounts SET
         debits_pending  = debits_pending  + CASE WHEN id = $1 THEN $3::bigint ELSE 0 END,
         debits_posted   = debits_posted   + CASE WHEN id = $1 THEN $4::bigint ELSE 0 END,
         credits_pending = credits_pending + CASE WHEN id = $2 THEN $3::bigint ELSE 0 END,
         credits_posted  = credits_posted  + CASE WHEN id = $2 THEN $4::bigint ELSE 0 END
       WHERE id IN ($1, $2)`,
      [debitId, creditId, delta.pending, delta.posted],
    );
  }
  return { id: t.id, result: "ok", amount };
}

export interface Movement {
  transferId: string;
  at: string;
  code: string;
  kind: TransferInput["kind"];
  direction: "debit" | "credit";
  amount: number;
  counterpartyKind: AccountKind;
  causeEventId: string | null;
  causeCommand: string | null;
}

/** Every transfer that touched the account in the order it was posted (seq; a use case that calls another may read the clock twice, so created_at can disagree by a moment). */
export async function movementsOf(db: Queryable, accountId: string): Promise<Movement[]> {
  const { rows } = await db.query<Movement>(
    `SELECT t.id AS "transferId", to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, t.code, t.kind,
            CASE WHEN t.debit_account_id = $1 THEN 'debit' ELSE 'credit' END AS direction, t.amount,
            o.kind AS "counterpartyKind", t.cause_event_id AS "causeEventId", t.cause_command AS "causeCommand"
       FROM ledger_transfers t
       JOIN ledger_accounts o ON o.id = CASE WHEN t.debit_account_id = $1 THEN t.credit_account_id ELSE t.debit_account_id END
      WHERE t.debit_account_id = $1 OR t.credit_account_id = $1
      ORDER BY t.seq`,
    [accountId],
  );
  return rows;
}

/** Pending transfers on the account that are neither posted nor voided. */
export async function openPendingOf(db: Queryable, accountId: string): Promise<{ id: string; amount: number; code: string; creditAccountId: string }[]> {
  const { rows } = await db.query<{ id: string; amount: number; code: string; creditAccountId: string }>(
    `SELECT t.id, t.amount, t.code, t.credit_account_id AS "creditAccountId" FROM ledger_transfers t
      WHERE t.debit_account_id = $1 AND t.kind = 'pending' AND NOT EXISTS (SELECT 1 FROM ledger_pending_resolutions r WHERE r.pending_id = t.id)
      ORDER BY t.created_at`,
    [accountId],
  );
  return rows;
}

/** The ledger's totals over a municipality's accounts: for `verify` and the property tests. */
export async function ledgerTotals(db: Queryable, municipalityId: string): Promise<{ debitsPosted: number; creditsPosted: number; debitsPending: number; creditsPending: number; transfersPosted: number }> {
  const { rows } = await db.query<{ debitsPosted: number; creditsPosted: number; debitsPending: number; creditsPending: number; transfersPosted: number }>(
    `SELECT coalesce(sum(debits_posted), 0)::bigint AS "debitsPosted", coalesce(sum(credits_posted), 0)::bigint AS "creditsPosted",
            coalesce(sum(debits_pending), 0)::bigint AS "debitsPending", coalesce(sum(credits_pending), 0)::bigint AS "creditsPending",
            (SELECT coalesce(sum(amount), 0)::bigint FROM ledger_transfers WHERE municipality_id = $1 AND kind IN ('single', 'post_pending')) AS "transfersPosted"
       FROM ledger_accounts WHERE municipality_id = $1`,
    [municipalityId],
  );
  return rows[0]!;
}

/** The accounts a transfer moved money between. */
export async function transferAccounts(db: Queryable, transferId: string): Promise<{ debit: string; credit: string } | undefined> {
  const { rows } = await db.query<{ debit: string; credit: string }>(`SELECT debit_account_id AS debit, credit_account_id AS credit FROM ledger_transfers WHERE id = $1`, [transferId]);
  return rows[0];
}
