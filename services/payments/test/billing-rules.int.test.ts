import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { paymentsHarness, world, type PaymentsHarness } from "./fixtures/payments";

// The municipality reads back how a year's lessons are billed (the officials' settings page, issue #18).

describe("billing rules read back", () => {
  let h: PaymentsHarness;
  beforeAll(async () => {
    h = await paymentsHarness("pay-billing-rules");
  });
  afterAll(async () => h?.close());

  it("answers null until set, then the rules as set with their defaults; only to the municipality's staff", async () => {
    const w = await world(h);
    const official = await h.as({ role: "municipality", municipalityId: w.municipalityId });
    const url = `/municipalities/${w.municipalityId}/years/2026/billing-rules`;
    const before = await h.app.inject({ method: "GET", url, headers: official });
    expect(before.statusCode, before.body).toBe(200);
    expect(before.json()).toEqual({ year: 2026, rules: null });

    const set = await h.app.inject({ method: "PUT", url, headers: official, payload: { normativePerHour: 20_000, coPayment: true, unexcused: "not_charged", benefits: [{ category: "large_family", percent: 30 }] } });
    expect(set.statusCode, set.body).toBe(200);
    const after = await h.app.inject({ method: "GET", url, headers: official });
    expect(after.json()).toEqual({
      year: 2026,
      rules: { normativePerHour: 20_000, coPayment: true, unexcused: "not_charged", benefits: [{ category: "large_family", percent: 30 }], compensation: [], exemptCategories: [], prorateNominal: false },
    });

    const neighbour = await h.as({ role: "municipality", municipalityId: randomUUID() });
    const guardian = await h.as({ role: "guardian", municipalityId: w.municipalityId, guardianId: randomUUID() });
    for (const headers of [neighbour, guardian]) expect((await h.app.inject({ method: "GET", url, headers })).statusCode).toBe(403);
  });
});
