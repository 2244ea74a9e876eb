import { describe, expect, it } from "vitest";
import { expectedCost } from "../src/domain/reservation";

// A group of two 90-minute lessons a week at 100 an hour: 150 a lesson, the normative the same.
const group = { pricePerHour: 100, lessonMinutes: 90, lessonsPerWeek: 2, fundingKind: "financed", endsOn: "2027-05-31" };
const rules = { normativePerHour: 100, coPayment: false, unexcused: "not_charged" as const };

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
});
