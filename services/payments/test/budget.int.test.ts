import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrolled, financed, group, issued, paymentsHarness, summarised, summary, world, type PaymentsHarness } from "./fixtures/payments";

let h: PaymentsHarness;
beforeAll(async () => {
  h = await paymentsHarness("payments-budget", "2026-10-01T00:00:00Z");
});
afterAll(() => h.close());

interface Budget {
  currency: string;
  budget: number;
  financedCap: number;
  committed: number;
  financedCertificates: number;
  available: number;
  reserved: number;
  spent: number;
  waiting: { category: string | null; children: number; amount: number }[];
}

describe("a municipality's budget of the year", () => {
  it("shows the budget against committed, reserved and spent, and who waits for financing by category, to the municipality's staff only", async () => {
    // Room for two certificates: the third and fourth wait, ranked by their best category.
    const w = await world(h, { nominal: 1_000_000, budget: 2_000_000 });
    const other = await world(h);
    const g = await group(h, w);
    const first = await issued(h, w);
    await financed(h, w, first);
    await financed(h, w, await issued(h, w, ["orphan"]));
    await financed(h, w, await issued(h, w, ["disabled"]));
    await financed(h, w, await issued(h, w));
    const enrollmentId = await enrolled(h, w, g, first);
    await summarised(h, w, summary(g, first, enrollmentId, "2026-11", { billable: 4 }));

    const municipality = await h.as({ role: "municipality", municipalityId: w.municipalityId });
    const seen = await h.app.inject({ method: "GET", url: `/municipalities/${w.municipalityId}/budget?year=2026`, headers: municipality });
    expect(seen.statusCode, seen.body).toBe(200);
    const budget = seen.json<Budget>();
    expect(budget).toMatchObject({ currency: "RUB", budget: 2_000_000, financedCap: 10_000, committed: 2_000_000, financedCertificates: 2, available: 0, spent: 4 * 37_500 });
    // The enrollment holds the rest of its expected lessons on the first certificate.
    expect(budget.reserved).toBeGreaterThan(0);
    expect(budget.reserved).toBeLessThanOrEqual(1_000_000 - 4 * 37_500);
    // The disabled child's coefficient is 1.5; a child of no listed category comes after all.
    expect(budget.waiting).toEqual([
      { category: "disabled", children: 1, amount: 1_500_000 },
      { category: null, children: 1, amount: 1_000_000 },
    ]);

    const region = await h.as({ role: "region", regionCode: "41" });
    expect((await h.app.inject({ method: "GET", url: `/municipalities/${w.municipalityId}/budget?year=2026`, headers: region })).statusCode).toBe(200);
    const stranger = await h.as({ role: "municipality", municipalityId: other.municipalityId });
    const refused = await h.app.inject({ method: "GET", url: `/municipalities/${w.municipalityId}/budget?year=2026`, headers: stranger });
    expect(refused.statusCode).toBe(403);
    expect(refused.body).not.toContain("2000000");
    const provider = await h.as({ role: "provider", municipalityId: w.municipalityId, providerId: g.providerId });
    expect((await h.app.inject({ method: "GET", url: `/municipalities/${w.municipalityId}/budget?year=2026`, headers: provider })).statusCode).toBe(403);
  });

  it("refuses a year without settings, beside the year", async () => {
    const w = await world(h);
    const municipality = await h.as({ role: "municipality", municipalityId: w.municipalityId });
    const answer = await h.app.inject({ method: "GET", url: `/municipalities/${w.municipalityId}/budget?year=2031`, headers: municipality });
    expect(answer.json()).toMatchObject({ code: "PAYMENTS.YEAR_UNKNOWN", invalidParams: [expect.objectContaining({ name: "query.year" })] });
    expect((await h.app.inject({ method: "GET", url: `/municipalities/${w.municipalityId}/budget?year=abc`, headers: municipality })).statusCode).toBe(400);
  });
});
