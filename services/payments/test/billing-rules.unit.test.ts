import { describe, expect, it } from "vitest";
import { billedOn, dayOfYear, decideBillingRulesVersion, defaultEffectiveFrom, rulesForMonth, rulesOn, type BillingRulesVersion } from "../src/domain/billing-rules";

// Which version of a year's billing rules governs a day: the latest effective date not after it
// (of two with one date, the one set later), none before any; a month is billed by its first day's.

const rules = (normativePerHour: number) => ({ normativePerHour, coPayment: true, unexcused: "not_charged" as const });
const version = (effectiveFrom: string, normativePerHour: number): BillingRulesVersion => ({ effectiveFrom, rules: rules(normativePerHour) });

describe("the billing rules in force on a day", () => {
  it("given versions from 1 March and 15 September, when asked of days around them, then each day gets its own, and none before the first", () => {
    const versions = [version("2026-03-01", 100), version("2026-09-15", 200)];
    expect(rulesOn(versions, "2026-02-28")).toBeUndefined();
    expect(rulesOn(versions, "2026-03-01")?.rules.normativePerHour).toBe(100);
    expect(rulesOn(versions, "2026-09-14")?.rules.normativePerHour).toBe(100);
    expect(rulesOn(versions, "2026-12-31")?.rules.normativePerHour).toBe(200);
  });

  it("given a version from the 15th, when its month and the next are billed, then the month by the version before and the next by it", () => {
    const versions = [version("2026-03-01", 100), version("2026-09-15", 200)];
    expect(rulesOn(versions, billedOn("2026-09"))?.rules.normativePerHour).toBe(100);
    expect(rulesOn(versions, billedOn("2026-10"))?.rules.normativePerHour).toBe(200);
  });

  it("given a later correction with the same date, then it governs from that date; set in any order of dates, the dates decide", () => {
    const versions = [version("2026-09-01", 200), version("2026-03-01", 100), version("2026-09-01", 300)];
    expect(rulesOn(versions, "2026-05-01")?.rules.normativePerHour).toBe(100);
    expect(rulesOn(versions, "2026-09-01")?.rules.normativePerHour).toBe(300);
  });

  it("given a month that began with no rules, when billed, then by the first version set to take effect in it; a month with rules on its first day keeps them", () => {
    const versions = [version("2026-12-04", 100), version("2026-12-04", 150), version("2026-12-20", 200)];
    expect(rulesForMonth(versions, "2026-11")).toBeUndefined();
    expect(rulesForMonth(versions, "2026-12")?.rules.normativePerHour).toBe(150);
    expect(rulesForMonth([version("2026-03-01", 100), version("2026-09-15", 200)], "2026-09")?.rules.normativePerHour).toBe(100);
  });
});

describe("a new version of the billing rules", () => {
  it("takes effect from today or later, within its year; unset, today or the year's first day ahead", () => {
    expect(() => decideBillingRulesVersion(2026, rules(1), "2026-08-31", "2026-09-01")).toThrow(expect.objectContaining({ code: "PAYMENTS.RULES_RETROACTIVE" }) as Error);
    expect(() => decideBillingRulesVersion(2026, rules(1), "2027-01-01", "2026-09-01")).toThrow(expect.objectContaining({ code: "PAYMENTS.RULES_DATE_OUTSIDE_YEAR" }) as Error);
    expect(decideBillingRulesVersion(2026, rules(1), "2026-09-01", "2026-09-01").effectiveFrom).toBe("2026-09-01");
    expect(defaultEffectiveFrom(2026, "2026-09-01")).toBe("2026-09-01");
    expect(defaultEffectiveFrom(2027, "2026-09-01")).toBe("2027-01-01");
  });

  it("is read today, or on the nearest day of another year", () => {
    expect(dayOfYear(2026, "2026-09-01")).toBe("2026-09-01");
    expect(dayOfYear(2027, "2026-09-01")).toBe("2027-01-01");
    expect(dayOfYear(2025, "2026-09-01")).toBe("2025-12-31");
  });
});
