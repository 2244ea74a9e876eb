import { describe, expect, it } from "vitest";
import { addWorkingDays, ageOn, formatLocalDate, instantAt, localDateOf, parseLocalDate, zoneOffsetMinutes } from "../src";

describe("local calendar in a municipality's zone", () => {
  it("puts Kamchatka's 1 January at noon of 31 December UTC", () => {
    const newYear = instantAt({ year: 2027, month: 1, day: 1 }, "Asia/Kamchatka");
    expect(newYear.toISOString()).toBe("2026-12-31T12:00:00.000Z");
    expect(localDateOf(new Date("2026-12-31T11:59:59Z"), "Asia/Kamchatka")).toEqual({ year: 2026, month: 12, day: 31 });
    expect(localDateOf(new Date("2026-12-31T12:00:00Z"), "Asia/Kamchatka")).toEqual({ year: 2027, month: 1, day: 1 });
  });

  it("knows each demo zone's offset", () => {
    const at = new Date("2026-06-01T00:00:00Z");
    expect(zoneOffsetMinutes(at, "Asia/Kamchatka")).toBe(720);
    expect(zoneOffsetMinutes(at, "Europe/Moscow")).toBe(180);
    expect(zoneOffsetMinutes(at, "Asia/Almaty")).toBe(300);
  });

  it("handles a zone with daylight saving time", () => {
    // Berlin switches to CEST on 29 March 2026; 09:00 local is 07:00 UTC after, 08:00 UTC before.
    expect(instantAt(parseLocalDate("2026-03-30"), "Europe/Berlin", 9).toISOString()).toBe("2026-03-30T07:00:00.000Z");
    expect(instantAt(parseLocalDate("2026-03-27"), "Europe/Berlin", 9).toISOString()).toBe("2026-03-27T08:00:00.000Z");
  });
});

describe("ages and dates", () => {
  it("counts full years, birthdays on 29 February included", () => {
    expect(ageOn(parseLocalDate("2021-03-15"), parseLocalDate("2026-03-14"))).toBe(4);
    expect(ageOn(parseLocalDate("2021-03-15"), parseLocalDate("2026-03-15"))).toBe(5);
    expect(ageOn(parseLocalDate("2020-02-29"), parseLocalDate("2025-02-28"))).toBe(4);
    expect(ageOn(parseLocalDate("2020-02-29"), parseLocalDate("2025-03-01"))).toBe(5);
  });

  it("refuses impossible dates", () => {
    expect(() => parseLocalDate("2026-02-30")).toThrow(RangeError);
    expect(() => parseLocalDate("2026-13-01")).toThrow(RangeError);
    expect(() => parseLocalDate("01.09.2026")).toThrow(RangeError);
  });

  it("skips weekends and holidays when adding working days", () => {
    // Friday 2026-11-27 + 1 working day = Monday 2026-11-30; with that Monday a holiday, Tuesday.
    expect(formatLocalDate(addWorkingDays(parseLocalDate("2026-11-27"), 1))).toBe("2026-11-30");
    expect(formatLocalDate(addWorkingDays(parseLocalDate("2026-11-27"), 1, new Set(["2026-11-30"])))).toBe("2026-12-01");
  });
});
