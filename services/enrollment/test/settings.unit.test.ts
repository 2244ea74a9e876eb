import { describe, expect, it } from "vitest";
import { reviewDeadline } from "../src/domain/deadlines";
import { decideCalendarVersion, publicHolidays, workingCalendar } from "../src/domain/holidays";
import { decideNoticeVersion, defaultEffectiveFrom, inForceOn } from "../src/domain/settings";

// Settings from a date (issue #18): which version is in force on a day, and a calendar whose
// every day is what the version in force on that day says.

describe("the version in force on a day", () => {
  const a = { effectiveFrom: "2026-09-01", name: "a" };
  const b = { effectiveFrom: "2026-10-01", name: "b" };
  const c = { effectiveFrom: "2026-10-01", name: "c" };

  it("is the latest effective date not after the day, of two with one date the one set later; none before the first", () => {
    expect(inForceOn([b, a], "2026-09-30")?.name).toBe("a");
    expect(inForceOn([b, a], "2026-10-01")?.name).toBe("b");
    expect(inForceOn([a, b, c], "2026-12-31")?.name).toBe("c");
    expect(inForceOn([a, c, b], "2026-12-31")?.name).toBe("b");
    expect(inForceOn([a, b], "2026-08-31")).toBeUndefined();
  });

  it("takes effect today unless told, or on 1 January of a year ahead; never before today, nor outside its year", () => {
    expect(defaultEffectiveFrom("2026-09-01")).toBe("2026-09-01");
    expect(defaultEffectiveFrom("2026-09-01", 2027)).toBe("2027-01-01");
    expect(defaultEffectiveFrom("2026-09-01", 2026)).toBe("2026-09-01");
    expect(() => decideNoticeVersion({ positionThreshold: 3, offerReminderHours: 24 }, "2026-08-31", "2026-09-01")).toThrow(expect.objectContaining({ code: "ENROLLMENT.SETTINGS_RETROACTIVE" }));
    expect(() => decideCalendarVersion(2026, { daysOff: [], workingDays: [] }, "2027-01-04", "2026-09-01")).toThrow(expect.objectContaining({ code: "ENROLLMENT.SETTINGS_DATE_OUTSIDE_YEAR" }));
    expect(decideCalendarVersion(2026, { daysOff: ["2026-11-04", "2026-01-01", "2026-11-04"], workingDays: [] }, "2026-09-01", "2026-09-01").daysOff).toEqual(["2026-01-01", "2026-11-04"]);
  });
});

describe("a working calendar of versions", () => {
  const zone = "Asia/Kamchatka";
  const fixed = [...publicHolidays(zone, [2026])];

  it("counts each day as the version in force on that day has it", () => {
    const versions = [
      { year: 2026, effectiveFrom: "2026-09-03", daysOff: fixed, workingDays: [] },
      // From 7 September: Friday 4 (before its date: not by it) and Monday 7 off, Saturday 12 working.
      { year: 2026, effectiveFrom: "2026-09-07", daysOff: [...fixed, "2026-09-04", "2026-09-07"], workingDays: ["2026-09-12"] },
    ];
    const calendar = workingCalendar(zone, [2026, 2027], versions);
    expect(calendar.daysOff.has("2026-09-04")).toBe(false);
    expect(calendar.daysOff.has("2026-09-07")).toBe(true);
    expect(calendar.workingDays.has("2026-09-12")).toBe(true);
    expect(calendar.daysOff.has("2027-01-01"), "a year without versions: the fixed holidays").toBe(true);
    // Friday 4 September, noon in Kamchatka, one working day: Monday 7 is off from its own date on, so Tuesday 8.
    expect(reviewDeadline(new Date("2026-09-04T00:00:00Z"), zone, 1, calendar).toISOString()).toBe("2026-09-08T12:00:00.000Z");
  });

  it("keeps the fixed holidays for the days before a year's first version", () => {
    // A version from 1 March without 23 February: 23 February is before it, and stays a holiday.
    const withoutFebruary = fixed.filter((d) => d !== "2026-02-23" && d !== "2026-11-04");
    const calendar = workingCalendar(zone, [2026], [{ year: 2026, effectiveFrom: "2026-03-01", daysOff: withoutFebruary, workingDays: [] }]);
    expect(calendar.daysOff.has("2026-02-23")).toBe(true);
    expect(calendar.daysOff.has("2026-11-04"), "after it: as the version has it").toBe(false);
  });
});
