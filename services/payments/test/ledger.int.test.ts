import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTransaction } from "@kruzhok/postgres";
import { accountId, type AccountKind, type TransferInput, type TransferOutcome } from "../src/domain/ledger";
import { available, createTransfers, ensureAccounts, findAccounts, ledgerTotals } from "../src/store/ledger";
import { newId, paymentsHarness, type PaymentsHarness } from "./fixtures/payments";

let h: PaymentsHarness;
beforeAll(async () => {
  h = await paymentsHarness("payments-ledger", "2026-09-01T00:00:00Z", 24);
});
afterAll(() => h.close());

const cause = { command: "test" };

/** A municipality with accounts of the given kinds (owner = a new id each), in RUB, year 2026. */
async function accounts(kinds: readonly AccountKind[], municipalityId = newId()) {
  const refs = kinds.map((kind) => ({ kind, ownerId: newId(), year: 2026, municipalityId, currency: "RUB" }));
  const ids = await ensureAccounts(h.pool, refs, h.clock());
  return { municipalityId, ids };
}

function transfer(municipalityId: string, transfers: TransferInput[]): Promise<TransferOutcome[]> {
  return withTransaction(h.pool, (tx) => createTransfers(tx, municipalityId, transfers, h.clock()));
}

async function balance(id: string) {
  const [account] = await findAccounts(h.pool, [id]);
  return account!;
}

/** A certificate funded with `amount` from a budget funded from its source. */
async function fundedCertificate(amount: number) {
  const { municipalityId, ids } = await accounts(["budget_source", "budget", "certificate", "provider_payable"]);
  const [source, budget, certificate, payable] = ids as [string, string, string, string];
  const results = await transfer(municipalityId, [
    { id: newId(), kind: "single", debitAccountId: source, creditAccountId: budget, amount, code: "appropriation", cause, linked: true },
    { id: newId(), kind: "single", debitAccountId: budget, creditAccountId: certificate, amount, code: "financing", cause },
  ]);
  expect(results.map((r) => r.result)).toEqual(["ok", "ok"]);
  return { municipalityId, source, budget, certificate, payable };
}

describe("the ledger on Postgres, with TigerBeetle's transfer semantics", () => {
  it("200 concurrent charges against one certificate never take it below zero; the rest are refused with a reason", async () => {
    const { municipalityId, certificate, payable } = await fundedCertificate(10_000);
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, () =>
        transfer(municipalityId, [{ id: newId(), kind: "single", debitAccountId: certificate, creditAccountId: payable, amount: 150, code: "charge", cause }]),
      ),
    );
    const results = outcomes.map((o) => o[0]!.result);
    // 10 000 / 150 = 66 charges fit (9 900); 134 are refused, each saying why.
    expect(results.filter((r) => r === "ok")).toHaveLength(66);
    expect(results.filter((r) => r === "exceeds_credits")).toHaveLength(134);
    const after = await balance(certificate);
    expect(after.debitsPosted).toBe(9_900);
    expect(available(after)).toBe(100);
    expect((await balance(payable)).creditsPosted).toBe(9_900);
  });

  it("a transfer repeated with the same id returns the original result and changes nothing; a different one under that id is refused", async () => {
    const { municipalityId, certificate, payable } = await fundedCertificate(1_000);
    const charge: TransferInput = { id: newId(), kind: "single", debitAccountId: certificate, creditAccountId: payable, amount: 300, code: "charge", cause };
    expect(await transfer(municipalityId, [charge])).toEqual([{ id: charge.id, result: "ok", amount: 300 }]);
    expect(await transfer(municipalityId, [charge])).toEqual([{ id: charge.id, result: "exists", amount: 300 }]);
    const twice = await Promise.all([transfer(municipalityId, [charge]), transfer(municipalityId, [charge])]);
    expect(twice.map((o) => o[0]!.result)).toEqual(["exists", "exists"]);
    expect(await transfer(municipalityId, [{ ...charge, amount: 301 }])).toEqual([{ id: charge.id, result: "exists_with_different_fields" }]);
    expect((await balance(certificate)).debitsPosted).toBe(300);
  });

  it("the same new transfer sent concurrently is made once", async () => {
    const { municipalityId, certificate, payable } = await fundedCertificate(1_000);
    const charge: TransferInput = { id: newId(), kind: "single", debitAccountId: certificate, creditAccountId: payable, amount: 100, code: "charge", cause };
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => transfer(municipalityId, [charge])));
    expect(outcomes.map((o) => o[0]!.result).sort()).toEqual(["exists", "exists", "exists", "exists", "exists", "exists", "exists", "exists", "exists", "ok"]);
    expect((await balance(certificate)).debitsPosted).toBe(100);
  });

  it("two-phase: a pending transfer reserves, counts against the balance, posts in part (releasing the rest) or voids, and resolves once", async () => {
    const { municipalityId, certificate, payable } = await fundedCertificate(1_000);
    const reservation = newId();
    expect((await transfer(municipalityId, [{ id: reservation, kind: "pending", debitAccountId: certificate, creditAccountId: payable, amount: 800, code: "reservation", cause }]))[0]!.result).toBe("ok");
    expect(available(await balance(certificate))).toBe(200);
    // The reserved money cannot be spent twice.
    expect((await transfer(municipalityId, [{ id: newId(), kind: "single", debitAccountId: certificate, creditAccountId: payable, amount: 300, code: "charge", cause }]))[0]!.result).toBe("exceeds_credits");
    expect((await transfer(municipalityId, [{ id: newId(), kind: "post_pending", pendingId: reservation, amount: 900, code: "charge", cause }]))[0]!.result).toBe("exceeds_pending_transfer_amount");
    const post = newId();
    expect(await transfer(municipalityId, [{ id: post, kind: "post_pending", pendingId: reservation, amount: 500, code: "charge", cause }])).toEqual([{ id: post, result: "ok", amount: 500 }]);
    const after = await balance(certificate);
    expect([after.debitsPending, after.debitsPosted, available(after)]).toEqual([0, 500, 500]);
    expect((await transfer(municipalityId, [{ id: newId(), kind: "void_pending", pendingId: reservation, code: "release", cause }]))[0]!.result).toBe("pending_transfer_already_posted");

    const second = newId();
    await transfer(municipalityId, [{ id: second, kind: "pending", debitAccountId: certificate, creditAccountId: payable, amount: 400, code: "reservation", cause }]);
    const voids = await Promise.all([0, 1, 2].map(() => transfer(municipalityId, [{ id: newId(), kind: "void_pending", pendingId: second, code: "release", cause }])));
    expect(voids.map((o) => o[0]!.result).sort()).toEqual(["ok", "pending_transfer_already_voided", "pending_transfer_already_voided"]);
    expect(available(await balance(certificate))).toBe(500);
  });

  it("linked transfers succeed or fail together: one refused leg leaves no trace of the others", async () => {
    const { municipalityId, certificate, payable, budget } = await fundedCertificate(1_000);
    const [a, b, c] = [newId(), newId(), newId()];
    const outcomes = await transfer(municipalityId, [
      { id: a, kind: "single", debitAccountId: certificate, creditAccountId: payable, amount: 600, code: "charge", cause, linked: true },
      { id: b, kind: "single", debitAccountId: certificate, creditAccountId: payable, amount: 600, code: "charge", cause, linked: true },
      { id: c, kind: "single", debitAccountId: budget, creditAccountId: payable, amount: 1, code: "charge", cause },
    ]);
    expect(outcomes.map((o) => o.result)).toEqual(["linked_event_failed", "exceeds_credits", "linked_event_failed"]);
    expect((await balance(certificate)).debitsPosted).toBe(0);
    const { rows } = await h.pool.query("SELECT id FROM ledger_transfers WHERE id = ANY($1::uuid[])", [[a, b, c]]);
    expect(rows).toEqual([]);
    // A chain left open at the end of the batch is refused as a whole.
    expect((await transfer(municipalityId, [{ id: newId(), kind: "single", debitAccountId: certificate, creditAccountId: payable, amount: 1, code: "charge", cause, linked: true }]))[0]!.result).toBe("linked_event_chain_open");
  });

  it("refuses what is not money or has no cause, and the database itself refuses a forbidden balance", async () => {
    const { municipalityId, certificate, payable } = await fundedCertificate(1_000);
    const base = { kind: "single" as const, debitAccountId: certificate, creditAccountId: payable, code: "charge", cause };
    for (const amount of [0.5, -1, Number.NaN, 2 ** 53, Infinity]) {
      expect((await transfer(municipalityId, [{ ...base, id: newId(), amount }]))[0]!.result).toBe("amount_invalid");
    }
    expect((await transfer(municipalityId, [{ ...base, id: newId(), amount: 1, cause: {} }]))[0]!.result).toBe("cause_missing");
    expect((await transfer(municipalityId, [{ ...base, id: newId(), amount: 1, creditAccountId: certificate }]))[0]!.result).toBe("accounts_must_be_different");
    // Not only the code: an UPDATE that bypasses createTransfers is refused by the CHECK constraint.
    await expect(h.pool.query("UPDATE ledger_accounts SET debits_posted = credits_posted + 1 WHERE id = $1", [certificate])).rejects.toMatchObject({ code: "23514", constraint: "exceeds_credits" });
    // And transfers never change.
    await expect(h.pool.query("UPDATE ledger_transfers SET amount = amount + 1 WHERE credit_account_id = $1", [certificate])).rejects.toMatchObject({ code: "23001" });
  });

  it("property: under random sequences of transfers (single, pending, post, void, linked), debits equal credits and no flagged balance goes negative", async () => {
    const kinds: AccountKind[] = ["budget_source", "budget", "certificate", "certificate", "provider_payable", "family_receivable", "benefits"];
    const step = fc.record({
      op: fc.constantFrom("single", "pending", "post", "void"),
      from: fc.nat(kinds.length - 1),
      to: fc.nat(kinds.length - 1),
      amount: fc.oneof(fc.integer({ min: 1, max: 2_000 }), fc.constant(0), fc.constant(-5)),
      target: fc.nat(20),
      linked: fc.boolean(),
      balancing: fc.boolean(),
    });
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        const { municipalityId, ids } = await accounts(kinds);
        const pendings: string[] = [];
        const batch: TransferInput[] = steps.map((s) => {
          const id = newId();
          if (s.op === "post" || s.op === "void") {
            const pendingId = pendings[s.target % Math.max(1, pendings.length)] ?? newId();
            return { id, kind: s.op === "post" ? "post_pending" : "void_pending", pendingId, code: s.op, cause, linked: s.linked, ...(s.op === "post" && s.amount % 3 === 0 && { amount: s.amount }) };
          }
          if (s.op === "pending") pendings.push(id);
          return { id, kind: s.op, debitAccountId: ids[s.from]!, creditAccountId: ids[s.to]!, amount: s.amount, code: s.op, cause, linked: s.linked, balancingDebit: s.balancing };
        });
        // Half the batch in one call (chains across it), the other half transfer by transfer.
        const half = Math.floor(batch.length / 2);
        const outcomes = await transfer(municipalityId, batch.slice(0, half).map((t, i) => (i === half - 1 ? { ...t, linked: false } : t)));
        for (const t of batch.slice(half)) outcomes.push(...(await transfer(municipalityId, [{ ...t, linked: false }])));
        for (const o of outcomes) seen.set(o.result, (seen.get(o.result) ?? 0) + 1);

        const totals = await ledgerTotals(h.pool, municipalityId);
        expect(totals.debitsPosted).toBe(totals.creditsPosted);
        expect(totals.debitsPending).toBe(totals.creditsPending);
        expect(totals.transfersPosted).toBe(totals.debitsPosted);
        for (const account of await findAccounts(h.pool, ids)) {
          if (account.debitsMustNotExceedCredits) expect(account.debitsPosted + account.debitsPending).toBeLessThanOrEqual(account.creditsPosted);
          if (account.creditsMustNotExceedDebits) expect(account.creditsPosted + account.creditsPending).toBeLessThanOrEqual(account.debitsPosted);
        }
        // Open pending amounts are exactly the pending balances.
        const { rows } = await h.pool.query<{ open: number }>(
          `SELECT coalesce(sum(amount), 0)::bigint AS open FROM ledger_transfers t WHERE municipality_id = $1 AND kind = 'pending'
             AND NOT EXISTS (SELECT 1 FROM ledger_pending_resolutions r WHERE r.pending_id = t.id)`,
          [municipalityId],
        );
        expect(rows[0]!.open).toBe(totals.debitsPending);
      }),
      { numRuns: 40 },
    );
    // The sequences exercised both sides: transfers made, and each kind of refusal the flags and states give.
    for (const result of ["ok", "exceeds_credits", "linked_event_failed", "amount_invalid"]) expect(seen.get(result) ?? 0).toBeGreaterThan(0);
  });

  it("accounts are derived from what they are: the same kind, owner and year is one account", async () => {
    const owner = newId();
    const municipalityId = newId();
    const ref = { kind: "certificate" as const, ownerId: owner, year: 2026, municipalityId, currency: "RUB" };
    const [first] = await ensureAccounts(h.pool, [ref], h.clock());
    const [second] = await ensureAccounts(h.pool, [ref], h.clock());
    expect(first).toBe(second);
    expect(first).toBe(accountId("certificate", owner, 2026));
  });
});
