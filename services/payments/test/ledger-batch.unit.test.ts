import { describe, expect, it } from "vitest";
import { LedgerBatch, NotInBatch, type BatchAccount } from "../src/domain/ledger-batch";

const cause = { eventId: "0193a0a0-0000-7000-8000-000000000001" };
const account = (id: string, over: Partial<BatchAccount> = {}): BatchAccount => ({
  id,
  currency: "RUB",
  debitsPending: 0,
  debitsPosted: 0,
  creditsPending: 0,
  creditsPosted: 0,
  debitsMustNotExceedCredits: false,
  creditsMustNotExceedDebits: false,
  ...over,
});
const ledger = () =>
  new LedgerBatch(
    new Map([
      ["certificate", account("certificate", { creditsPosted: 100, debitsPending: 30, debitsMustNotExceedCredits: true })],
      ["payable", account("payable", { creditsPending: 30 })],
      ["family", account("family", { creditsMustNotExceedDebits: true })],
      ["kzt", account("kzt", { currency: "KZT" })],
    ]),
    new Map([["held", { id: "held", debitAccountId: "certificate", creditAccountId: "payable", amount: 30, resolved: false }]]),
  );
const single = (id: string, debitAccountId: string, creditAccountId: string, amount: number, balancingDebit = false) =>
  ({ id, kind: "single", debitAccountId, creditAccountId, amount, balancingDebit, code: "test", cause }) as const;

describe("a batch of transfers decided in memory (the ledger's rules, as createTransfers applies them)", () => {
  it("a balancing debit takes what the account holds after earlier transfers of the batch, down to 0", () => {
    const l = ledger();
    expect(l.transfer("m", single("a", "certificate", "payable", 50, true))).toBe(50);
    expect(l.transfer("m", single("b", "certificate", "payable", 50, true))).toBe(20);
    expect(l.transfer("m", single("c", "certificate", "payable", 50, true))).toBe(0);
    expect(l.rows.map((r) => r.amount)).toEqual([50, 20, 0]);
    expect(l.balanceDeltas().find((d) => d.id === "certificate")).toMatchObject({ debitsPosted: 70 });
  });

  it("voiding the pending transfer frees what it held, once", () => {
    const l = ledger();
    l.void("m", { id: "v", pendingId: "held", code: "release", cause });
    expect(l.available("certificate")).toBe(100);
    expect(() => l.void("m", { id: "v2", pendingId: "held", code: "release", cause })).toThrow(NotInBatch);
    expect(l.resolutions).toEqual([{ pendingId: "held", transferId: "v", kind: "void_pending" }]);
  });

  it("refuses what createTransfers refuses: over the credits, over the debits, another currency, the same id twice, no cause", () => {
    const l = ledger();
    expect(() => l.transfer("m", single("a", "certificate", "payable", 71))).toThrow(/exceeds_credits/);
    expect(() => l.transfer("m", single("b", "payable", "family", 1))).toThrow(/exceeds_debits/);
    expect(() => l.transfer("m", single("c", "payable", "kzt", 1))).toThrow(/currency/);
    l.transfer("m", single("d", "family", "payable", 5));
    expect(() => l.transfer("m", single("d", "family", "payable", 5))).toThrow(/exists/);
    expect(() => l.transfer("m", { ...single("e", "family", "payable", 5), cause: {} })).toThrow(/cause_missing/);
    expect(() => l.transfer("m", single("f", "family", "nowhere", 5))).toThrow(/account_not_found/);
  });

  it("a rollback to a checkpoint takes back the transfers, balances and voids made since", () => {
    const l = ledger();
    l.transfer("m", single("a", "family", "payable", 5));
    const checkpoint = l.checkpoint();
    l.void("m", { id: "v", pendingId: "held", code: "release", cause });
    l.transfer("m", single("b", "certificate", "payable", 100, true));
    l.rollback(checkpoint);
    expect(l.rows.map((r) => r.id)).toEqual(["a"]);
    expect(l.resolutions).toEqual([]);
    expect(l.available("certificate")).toBe(70);
    // The voided pending and the ids made after the checkpoint can be made again.
    l.void("m", { id: "v", pendingId: "held", code: "release", cause });
    expect(l.transfer("m", single("b", "certificate", "payable", 100, true))).toBe(100);
  });
});
