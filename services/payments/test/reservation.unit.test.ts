import { describe, expect, it } from "vitest";
import { expectedCost } from "../src/domain/reservation";

// A group of two 90-minute lessons a week at 100 an hour: 150 a lesson, the normative the same.
const group = { pricePerHour: 100, lessonMinutes: 90, lessonsPerWeek: 2, fundingKind: "financed", endsOn: "2027-05-31" };
const normative = { normativePerHour: 100, coPayment: false, unexcused: "not_charged" as const };
const rules = () => normative;

describe("what an enrollment reserves", () => {
  it("given a group that has begun, when a family enrolls on 1 December, then it reserves December's lessons", () => {
    expect(expectedCost({ ...group, startsOn: "2026-09-01" }, rules, "2026-12-01", 2026)).toBe(2 * 5 * 150);
  });

  it("given a group that starts in January, when a family enrolls on 20 December, then it reserves nothing of December", () => {
    expect(expectedCost({ ...group, startsOn: "2027-01-11" }, rules, "2026-12-20", 2026)).toBe(0);
  });

  it("given a group that starts on 11 January, when the new year reserves it from 1 January, then from its first day on", () => {
    expect(expectedCost({ ...group, startsOn: "2027-01-11" }, rules, "2027-01-01", 2027)).toBe(expectedCost({ ...group, startsOn: null }, rules, "2027-01-11", 2027));
  });

  it("given a lower normative from 1 November, when a family enrolls on 1 October, then October's lessons at the old price and November's and December's at the new", () => {
    const cheaper = (month: string) => (month >= "2026-11" ? { ...normative, normativePerHour: 60 } : normative);
    // 1 October - 31 October: 31 days, 5 weeks rounded up x 2 x 150; 1 November - 31 December: 61 days, 9 weeks x 2 x 90.
    expect(expectedCost({ ...group, startsOn: "2026-09-01" }, cheaper, "2026-10-01", 2026)).toBe(5 * 2 * 150 + 9 * 2 * 90);
    // The same rules every month count the weeks in one run, as before rules had versions: 92 days, 14 weeks.
    expect(expectedCost({ ...group, startsOn: "2026-09-01" }, rules, "2026-10-01", 2026)).toBe(14 * 2 * 150);
  });
});
