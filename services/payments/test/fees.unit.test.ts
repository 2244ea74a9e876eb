import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { feeParts, monthlyBill, shareOf, type Benefit } from "../src/domain/fees";
import { fundingOf, multiply, prorated } from "../src/domain/financing";
import { chargeMonth, lessonPrice, settleShortfall } from "../src/domain/billing";

const largeFamily = (validFrom: string, validUntil: string): Benefit => ({ category: "large_family", percent: 30, validFrom, validUntil });

describe("family fees and benefits", () => {
  it("given an orphan, when the month is billed, then the benefit takes the whole family part", () => {
    expect(feeParts({ total: 350_000, certificate: 0, on: "2026-11-01", benefits: [{ category: "orphan", percent: 100, validFrom: "2020-01-01", validUntil: "2030-12-31" }], compensationPerMille: 200 })).toEqual({
      certificate: 0,
      benefit: 350_000,
      compensation: 0,
      family: 0,
    });
  });

  it("given a large family whose proof expired, when the month is billed, then no benefit applies", () => {
    const parts = feeParts({ total: 100_000, certificate: 0, on: "2026-11-01", benefits: [largeFamily("2025-10-15", "2026-10-14")], compensationPerMille: 0 });
    expect(parts).toEqual({ certificate: 0, benefit: 0, compensation: 0, family: 100_000 });
    expect(feeParts({ total: 100_000, certificate: 0, on: "2026-10-01", benefits: [largeFamily("2025-10-15", "2026-10-14")], compensationPerMille: 0 }).benefit).toBe(30_000);
  });

  it("given a family displaced from Ukraine, then it pays nothing for one year from the enrollment, and then pays", () => {
    expect(feeParts({ total: 100_000, certificate: 0, on: "2026-11-01", benefits: [], displacedSince: "2026-02-15", compensationPerMille: 0 }).family).toBe(0);
    expect(feeParts({ total: 100_000, certificate: 0, on: "2027-03-01", benefits: [], displacedSince: "2026-02-15", compensationPerMille: 0 }).family).toBe(100_000);
  });

  it("the compensation applies after the benefit, rounded half up; the family's part is the remainder", () => {
    // 100 001 - 30 % (30 000.3 -> 30 000) = 70 001; 20 % of it = 14 000.2 -> 14 000; the family 56 001.
    expect(feeParts({ total: 100_001, certificate: 0, on: "2026-11-01", benefits: [largeFamily("2026-01-01", "2026-12-31")], compensationPerMille: 200 })).toEqual({
      certificate: 0,
      benefit: 30_000,
      compensation: 14_000,
      family: 56_001,
    });
    expect(shareOf(5, 1, 2)).toBe(3);
    expect(shareOf(4, 1, 8)).toBe(1);
  });

  it("a month is billed in advance, due on the 10th, less the previous month's excused days", () => {
    expect(monthlyBill({ month: "2026-12", fee: 300_000, previous: { fee: 300_000, plannedDays: 21, excusedDays: 5 } })).toEqual({ dueOn: "2026-12-10", fee: 300_000, credit: 71_429, toPay: 228_571 });
  });

  it("property: the certificate's, the benefit's, the compensation's and the family's parts add up to the total, none negative", () => {
    const date = fc.integer({ min: 2024, max: 2028 }).chain((y) => fc.integer({ min: 1, max: 12 }).map((m) => `${y}-${String(m).padStart(2, "0")}-01`));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        date,
        fc.array(fc.record({ percent: fc.constantFrom(100 as const, 50 as const, 30 as const, 20 as const), from: date, to: date })),
        fc.option(date),
        fc.integer({ min: 0, max: 1_000 }),
        (total, certificateShare, on, benefits, displacedSince, perMille) => {
          const certificate = Math.floor(total * certificateShare);
          const parts = feeParts({ total, certificate, on, benefits: benefits.map((b) => ({ category: "x", percent: b.percent, validFrom: b.from, validUntil: b.to })), displacedSince, compensationPerMille: perMille });
          expect(parts.certificate + parts.benefit + parts.compensation + parts.family).toBe(total);
          for (const part of Object.values(parts)) {
            expect(Number.isSafeInteger(part)).toBe(true);
            expect(part).toBeGreaterThanOrEqual(0);
          }
        },
      ),
    );
  });

  it("property: a month's charge splits into certificate, family and uncovered parts that add up to the total, however the certificate runs short", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 1, max: 240 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.boolean(),
        fc.constantFrom("charged" as const, "not_charged" as const),
        fc.constantFrom("financed", "paid", "free"),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (billable, unexcused, pricePerHour, lessonMinutes, normativePerHour, coPayment, rule, fundingKind, paidShare) => {
          const charge = chargeMonth({ billable, unexcused }, { pricePerHour, lessonMinutes, fundingKind }, { normativePerHour, coPayment, unexcused: rule });
          expect(charge.certificateDue + charge.familyDue + charge.uncovered).toBe(charge.total);
          const paid = Math.floor(charge.certificateDue * paidShare);
          const parts = settleShortfall(charge, paid, coPayment);
          expect(parts.certificate + parts.family + parts.uncovered).toBe(charge.total);
          if (fundingKind !== "free") expect(charge.total).toBe(charge.lessons * lessonPrice(pricePerHour, lessonMinutes));
        },
      ),
    );
  });
});

describe("funding amounts", () => {
  it("nominal x coefficient is rounded half up to a whole minor unit, in integers", () => {
    expect(multiply(1_000_001, 1.5)).toBe(1_500_002);
    expect(multiply(333, 1.1)).toBe(366);
    expect(() => multiply(Number.MAX_SAFE_INTEGER, 2)).toThrow(/2\^53/);
  });

  it("prorated by the months left in the year, the request's month included, rounded half up", () => {
    expect(prorated(1_200_000, 2026, { year: 2026, month: 9 })).toBe(400_000);
    expect(prorated(1_000_001, 2026, { year: 2026, month: 12 })).toBe(83_333);
    expect(prorated(1_000_000, 2027, { year: 2026, month: 12 })).toBe(1_000_000);
    expect(prorated(1_000_000, 2026, { year: 2026, month: 1 })).toBe(1_000_000);
  });

  it("the highest coefficient of the child's listed categories applies; the best category ranks", () => {
    const categories = [{ code: "orphan", coefficient: 1 }, { code: "disabled", coefficient: 1.5 }];
    expect(fundingOf(100, categories, ["disabled", "orphan"])).toEqual({ amount: 150, coefficient: 1.5, rank: 0 });
    expect(fundingOf(100, categories, ["unlisted"])).toEqual({ amount: 100, coefficient: 1, rank: 2 });
  });
});
