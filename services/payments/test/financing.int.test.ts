import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CertificateClosed, CertificateMoved } from "@kruzhok/contracts";
import { accountId, certificateAccountOf } from "../src/domain/ledger";
import { waitingList, committedCount } from "../src/store/financing";
import { available, findAccounts, movementsOf } from "../src/store/ledger";
import { verifyBooks } from "../src/usecases/verify";
import { financed, issued, outboxEvents, paymentsHarness, setYear, world, type PaymentsHarness } from "./fixtures/payments";

let h: PaymentsHarness;
beforeAll(async () => {
  // 1,000 requests wait for 24 connections at once, behind one budget row: longer than the 5 s
  // a service's checkout may wait, on a busy machine.
  h = await paymentsHarness("payments-financing", "2026-03-01T00:00:00Z", 24, 120_000);
});
afterAll(() => h.close());

async function budgetOf(municipalityId: string, year = 2026) {
  const [budget] = await findAccounts(h.pool, [accountId("budget", municipalityId, year)]);
  return budget!;
}

describe("financing: payments commits the budget, never over it, and queues the rest", () => {
  it("a budget for three and a third certificates commits three whole amounts and the fourth waits (a budget of 5 no longer finances three of 1.5)", async () => {
    const w = await world(h, { nominal: 150, budget: 500 });
    const certificates = [await issued(h, w), await issued(h, w), await issued(h, w), await issued(h, w)];
    for (const c of certificates) await financed(h, w, c);
    expect(await committedCount(h.pool, w.municipalityId, 2026)).toBe(3);
    expect(available(await budgetOf(w.municipalityId))).toBe(50);
    const queued = await outboxEvents<{ certificateId: string; reason: string }>(h.pool, "payments.financing.queued");
    expect(queued.filter((e) => e.municipalityId === w.municipalityId).map((e) => [e.data.certificateId, e.data.reason])).toEqual([[certificates[3]!.certificateId, "budget_exhausted"]]);
  });

  it("the child's coefficient is applied: a child with special educational needs takes nominal x 1.5", async () => {
    const w = await world(h, { nominal: 1_000_001, budget: 10_000_000 });
    const c = await issued(h, w, ["disabled"]);
    await financed(h, w, c);
    const [account] = await findAccounts(h.pool, [accountId("certificate", c.certificateId, 2026)]);
    // 1 000 001 x 1.5 = 1 500 001.5, rounded half up to 1 500 002.
    expect(account!.creditsPosted).toBe(1_500_002);
  });

  it("where the municipality prorates, a certificate financed in September gets 4/12 of the nominal x coefficient", async () => {
    const w = await world(h, { nominal: 1_200_000, budget: 10_000_000 });
    const rules = await h.app.inject({
      method: "PUT",
      url: `/municipalities/${w.municipalityId}/years/2026/billing-rules`,
      headers: await h.as({ role: "municipality", municipalityId: w.municipalityId }),
      payload: { normativePerHour: 20_000, coPayment: false, unexcused: "not_charged", prorateNominal: true },
    });
    expect(rules.statusCode, rules.body).toBe(200);
    h.clock.set("2026-09-15T00:00:00Z");
    const c = await issued(h, w, ["disabled"]);
    await financed(h, w, c);
    h.clock.set("2026-03-01T00:00:00Z");
    const [account] = await findAccounts(h.pool, [accountId("certificate", c.certificateId, 2026)]);
    expect(account!.creditsPosted).toBe(600_000);
  });

  it("a certificate moved and then closed in the new municipality returns its unspent money to the budget that financed it, not the new one's", async () => {
    const from = await world(h, { nominal: 100, budget: 1_000 });
    const to = await world(h, { nominal: 100, budget: 1_000 });
    const c = await issued(h, from);
    await financed(h, from, c);
    expect(available(await budgetOf(from.municipalityId))).toBe(900);
    const ref = { certificateId: c.certificateId, number: "41-000001", childId: c.childId };
    // The registry moved the certificate to `to` and closes it there; the move's news has not come (another partition, a lagging consumer).
    await h.deliver(CertificateClosed, { municipalityId: to.municipalityId, aggregateId: c.certificateId }, { ...ref, reason: "decision" });
    expect(available(await budgetOf(from.municipalityId))).toBe(1_000);
    expect(available(await budgetOf(to.municipalityId))).toBe(1_000);
    const [account] = await findAccounts(h.pool, [accountId("certificate", c.certificateId, 2026)]);
    expect(available(account!)).toBe(0);
  });

  it("a certificate that moves takes no money with it: the old budget gets back what is left and a place under its cap, the new municipality finances it the same year in its own books", async () => {
    const from = await world(h, { nominal: 100, budget: 1_000 });
    const to = await world(h, { nominal: 100, budget: 1_000 });
    const c = await issued(h, from);
    await financed(h, from, c);
    expect(available(await budgetOf(from.municipalityId))).toBe(900);
    const ref = { certificateId: c.certificateId, number: "41-000001", childId: c.childId };
    const moved = { ...ref, fromMunicipalityId: from.municipalityId, toMunicipalityId: to.municipalityId, funding: "accounting" as const };
    await h.deliver(CertificateMoved, { municipalityId: to.municipalityId, aggregateId: c.certificateId }, moved);
    expect(available(await budgetOf(from.municipalityId))).toBe(1_000);
    expect(await committedCount(h.pool, from.municipalityId, 2026)).toBe(0);
    const oldAccount = accountId("certificate", c.certificateId, 2026);
    expect(available((await findAccounts(h.pool, [oldAccount]))[0]!)).toBe(0);
    expect((await movementsOf(h.pool, oldAccount)).map((m) => m.code)).toEqual(["financing", "certificate_moved"]);
    // The same news again changes nothing.
    await h.deliver(CertificateMoved, { municipalityId: to.municipalityId, aggregateId: c.certificateId }, moved);
    expect(available(await budgetOf(from.municipalityId))).toBe(1_000);

    // The new municipality finances it this year: its own money, in an account of its own books.
    await financed(h, to, c);
    expect(available(await budgetOf(to.municipalityId))).toBe(900);
    const newAccount = certificateAccountOf({ certificateId: c.certificateId, year: 2026, municipalityId: to.municipalityId, movedIn: true });
    expect(newAccount).not.toBe(oldAccount);
    expect(available((await findAccounts(h.pool, [newAccount]))[0]!)).toBe(100);
    expect(await verifyBooks(h.pool, from.municipalityId, 2026)).toBeNull();
    expect(await verifyBooks(h.pool, to.municipalityId, 2026)).toBeNull();

    // Closed there, its money goes back to the new municipality's budget; the old one's is untouched.
    await h.deliver(CertificateClosed, { municipalityId: to.municipalityId, aggregateId: c.certificateId }, { ...ref, reason: "decision" });
    expect(available(await budgetOf(to.municipalityId))).toBe(1_000);
    expect(available(await budgetOf(from.municipalityId))).toBe(1_000);
    expect(await verifyBooks(h.pool, to.municipalityId, 2026)).toBeNull();
  });

  it("a certificate that moves while waiting for financing leaves the old waiting list: money freed there funds someone still there", async () => {
    const from = await world(h, { nominal: 100, budget: 100 });
    const to = await world(h, { nominal: 100, budget: 1_000 });
    const first = await issued(h, from);
    const mover = await issued(h, from);
    await financed(h, from, first);
    await financed(h, from, mover);
    expect((await waitingList(h.pool, from.municipalityId, 2026)).map((r) => r.certificateId)).toEqual([mover.certificateId]);
    await h.deliver(CertificateMoved, { municipalityId: to.municipalityId, aggregateId: mover.certificateId }, {
      certificateId: mover.certificateId, number: "41-000002", childId: mover.childId, fromMunicipalityId: from.municipalityId, toMunicipalityId: to.municipalityId, funding: "accounting",
    });
    expect(await waitingList(h.pool, from.municipalityId, 2026)).toEqual([]);
    // The first certificate closes: its money goes back, and nobody of another municipality takes it.
    await h.deliver(CertificateClosed, { municipalityId: from.municipalityId, aggregateId: first.certificateId }, { certificateId: first.certificateId, number: "41-000001", childId: first.childId, reason: "decision" });
    expect(available(await budgetOf(from.municipalityId))).toBe(100);
    // Its account of the old municipality never got a kopeck.
    expect((await findAccounts(h.pool, [accountId("certificate", mover.certificateId, 2026)]))[0]?.creditsPosted ?? 0).toBe(0);
  });

  it("the same request delivered twice commits once", async () => {
    const w = await world(h, { nominal: 100, budget: 1_000 });
    const c = await issued(h, w);
    await financed(h, w, c);
    await financed(h, w, c);
    expect(available(await budgetOf(w.municipalityId))).toBe(900);
    const [account] = await findAccounts(h.pool, [accountId("certificate", c.certificateId, 2026)]);
    expect(account!.creditsPosted).toBe(100);
  });

  it("1,000 concurrent requests against a budget for 600 commit exactly 600 and queue the rest by category order, then time; money freed funds the head of the list", async () => {
    const w = await world(h, { nominal: 1_000, budget: 600_000, categories: [{ code: "orphan", coefficient: 1 }, { code: "large_family", coefficient: 1 }] });
    const kinds = [["orphan"], ["large_family"], []] as const;
    const certificates = [];
    for (let i = 0; i < 1_000; i += 50) {
      certificates.push(...(await Promise.all(Array.from({ length: 50 }, (_, j) => issued(h, w, [...kinds[(i + j) % 3]!])))));
    }
    await Promise.all(certificates.map((c) => financed(h, w, c)));
    expect(await committedCount(h.pool, w.municipalityId, 2026)).toBe(600);
    const budget = await budgetOf(w.municipalityId);
    expect(budget.debitsPosted).toBe(600_000);
    expect(available(budget)).toBe(0);

    const waiting = await waitingList(h.pool, w.municipalityId, 2026, 1_000);
    expect(waiting).toHaveLength(400);
    const ranks = waiting.map((r) => r.categoryRank);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    for (let i = 1; i < waiting.length; i += 1) {
      if (waiting[i]!.categoryRank === waiting[i - 1]!.categoryRank) expect(waiting[i]!.requestedAt >= waiting[i - 1]!.requestedAt).toBe(true);
    }

    // The municipality adds money for 100 more: the first 100 of the list are funded, in its order.
    const head = waiting.slice(0, 100).map((r) => r.certificateId);
    await setYear(h, w, { nominal: 1_000, budget: 700_000, categories: [{ code: "orphan", coefficient: 1 }, { code: "large_family", coefficient: 1 }] });
    expect(await committedCount(h.pool, w.municipalityId, 2026)).toBe(700);
    const funded = await findAccounts(h.pool, head.map((id) => accountId("certificate", id, 2026)));
    expect(funded.map((a) => a.creditsPosted)).toEqual(head.map(() => 1_000));
    expect((await waitingList(h.pool, w.municipalityId, 2026, 1_000)).map((r) => r.certificateId)).toEqual(waiting.slice(100).map((r) => r.certificateId));
  });

  it("the cap holds as the budget does: over the cap a request waits with that reason", async () => {
    const w = await world(h, { nominal: 100, budget: 10_000, financedCap: 2 });
    for (let i = 0; i < 3; i += 1) await financed(h, w, await issued(h, w));
    expect(await committedCount(h.pool, w.municipalityId, 2026)).toBe(2);
    const queued = await outboxEvents<{ reason: string }>(h.pool, "payments.financing.queued");
    expect(queued.filter((e) => e.municipalityId === w.municipalityId).map((e) => e.data.reason)).toEqual(["cap_reached"]);
  });

  it("a budget cut takes back only what is not committed", async () => {
    const w = await world(h, { nominal: 100, budget: 1_000 });
    for (let i = 0; i < 6; i += 1) await financed(h, w, await issued(h, w));
    await setYear(h, w, { nominal: 100, budget: 100 });
    const budget = await budgetOf(w.municipalityId);
    expect(available(budget)).toBe(0);
    expect(budget.debitsPosted).toBe(1_000);
  });
});
