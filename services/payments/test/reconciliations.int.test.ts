import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrolled, financed, group, issued, outboxEvents, paymentsHarness, summarised, summary, world, type PaymentsHarness } from "./fixtures/payments";

let h: PaymentsHarness;
// Tuesday 3 November in Kamchatka: the month's 2nd working day, when a provider may ask for an advance.
beforeAll(async () => {
  h = await paymentsHarness("payments-reconciliations", "2026-11-03T00:00:00Z");
});
afterAll(() => h.close());

interface Reconciliation {
  registerId: string;
  advance: number;
  billed: number;
  rest: number;
  excess: number;
}

/** A provider with an enrollment asks for an advance on November, and November is billed with `billable` lessons (37 500 each). */
async function advancedMonth(advance: number, billable: number) {
  const w = await world(h, { nominal: 1_000_000 });
  const g = await group(h, w);
  const c = await issued(h, w);
  await financed(h, w, c);
  const enrollmentId = await enrolled(h, w, g, c);
  const provider = await h.as({ role: "provider", municipalityId: w.municipalityId, providerId: g.providerId });
  const asked = await h.app.inject({ method: "POST", url: "/advances", headers: provider, payload: { month: "2026-11", amount: advance } });
  expect(asked.statusCode, asked.body).toBe(201);
  const registerId = asked.json<{ id: string }>().id;
  await summarised(h, w, summary(g, c, enrollmentId, "2026-11", { billable }));
  const municipality = await h.as({ role: "municipality", municipalityId: w.municipalityId });
  return { w, g, registerId, municipality };
}

const reconcile = (registerId: string, headers: Record<string, string>) => h.app.inject({ method: "POST", url: `/registers/${registerId}/advance-reconciliation`, headers });

describe("advances reconciled against their month's bill", () => {
  it("an advance below the bill: the register pays the rest; reconciled once, announced once", async () => {
    const { w, registerId, municipality } = await advancedMonth(100_000, 4);
    // A formed register may still change: not yet.
    expect((await reconcile(registerId, municipality)).json()).toMatchObject({ code: "PAYMENTS.REGISTER_TRANSITION" });
    expect((await h.app.inject({ method: "POST", url: `/registers/${registerId}/approval`, headers: municipality })).statusCode).toBe(200);

    const done = await reconcile(registerId, municipality);
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json<Reconciliation>()).toMatchObject({ registerId, advance: 100_000, billed: 150_000, rest: 50_000, excess: 0 });
    const again = await reconcile(registerId, municipality);
    expect(again.json<Reconciliation>()).toEqual(done.json<Reconciliation>());
    const events = (await outboxEvents<{ registerId: string; rest: number; excess: number; currency: string }>(h.pool, "payments.advance.reconciled")).filter((e) => e.data.registerId === registerId);
    expect(events.map((e) => e.data)).toEqual([expect.objectContaining({ rest: 50_000, excess: 0, currency: "RUB" })]);

    const listed = await h.app.inject({ method: "GET", url: `/advance-reconciliations?municipalityId=${w.municipalityId}`, headers: municipality });
    expect(listed.json<Reconciliation[]>()).toEqual([done.json<Reconciliation>()]);
    // The register's payment pays only the rest.
    const paid = await h.app.inject({ method: "POST", url: `/registers/${registerId}/payment`, headers: municipality, payload: { paymentOrder: "ПП-1" } });
    expect(paid.json()).toMatchObject({ status: "paid", advance: 100_000 });
  });

  it("an advance beyond the bill: the excess is what the provider owes back", async () => {
    const { registerId, municipality } = await advancedMonth(100_000, 1);
    await h.app.inject({ method: "POST", url: `/registers/${registerId}/approval`, headers: municipality });
    expect((await reconcile(registerId, municipality)).json<Reconciliation>()).toMatchObject({ advance: 100_000, billed: 37_500, rest: 0, excess: 62_500 });
  });

  it("is the municipality's own: another municipality, its provider and a register without an advance are refused", async () => {
    const { g, registerId, municipality } = await advancedMonth(50_000, 2);
    await h.app.inject({ method: "POST", url: `/registers/${registerId}/approval`, headers: municipality });
    const other = await world(h);
    const stranger = await h.as({ role: "municipality", municipalityId: other.municipalityId });
    expect((await reconcile(registerId, stranger)).statusCode).toBe(403);
    const provider = await h.as({ role: "provider", municipalityId: (await h.pool.query<{ m: string }>(`SELECT municipality_id AS m FROM registers WHERE id = $1`, [registerId])).rows[0]!.m, providerId: g.providerId });
    expect((await reconcile(registerId, provider)).statusCode).toBe(403);
    expect((await h.app.inject({ method: "GET", url: `/advance-reconciliations?municipalityId=${other.municipalityId}`, headers: municipality })).statusCode).toBe(403);
    expect(await h.pool.query(`SELECT 1 FROM advance_reconciliations WHERE register_id = $1`, [registerId])).toMatchObject({ rowCount: 0 });

    // A register of a month without an advance.
    const w = await world(h, { nominal: 1_000_000 });
    const g2 = await group(h, w);
    const c = await issued(h, w);
    await financed(h, w, c);
    await summarised(h, w, summary(g2, c, await enrolled(h, w, g2, c), "2026-10", { billable: 2 }));
    const own = await h.as({ role: "municipality", municipalityId: w.municipalityId });
    const { rows } = await h.pool.query<{ id: string }>(`SELECT id FROM registers WHERE provider_id = $1`, [g2.providerId]);
    await h.app.inject({ method: "POST", url: `/registers/${rows[0]!.id}/approval`, headers: own });
    expect((await reconcile(rows[0]!.id, own)).json()).toMatchObject({ code: "PAYMENTS.ADVANCE_NONE" });
  });

  it("the database refuses a reconciliation that does not add up, has both a rest and an excess, or goes below zero", async () => {
    const { w, g, registerId } = await advancedMonth(10_000, 1);
    const insert = (advance: number, billed: number, rest: number, excess: number) =>
      h.pool.query(
        `INSERT INTO advance_reconciliations (register_id, municipality_id, provider_id, month, advance, billed, rest, excess, reconciled_by, reconciled_at) VALUES ($1, $2, $3, '2026-11', $4, $5, $6, $7, 'test', now())`,
        [registerId, w.municipalityId, g.providerId, advance, billed, rest, excess],
      );
    await expect(insert(10_000, 37_500, 20_000, 0)).rejects.toThrow(/reconciliation_balances/);
    await expect(insert(10_000, 10_000, 5_000, 5_000)).rejects.toThrow(/reconciliation_one_side/);
    await expect(insert(10_000, -27_500, 0, 37_500)).rejects.toThrow(/check/);
    await expect(insert(10_000, 37_500, 27_500, 0)).resolves.toMatchObject({ rowCount: 1 });
  });
});
