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

describe("the wall clock from the per-minute cache of offsets", () => {
  /** What Intl alone says, with a formatter of the test's own. */
  const intl = (instant: Date, zone: string) => {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" })
        .formatToParts(instant)
        .filter((p) => p.type !== "literal")
        .map((p) => [p.type, Number(p.value)]),
    ) as Record<"year" | "month" | "day" | "hour" | "minute" | "second", number>;
    const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
    return { date: { year: parts.year, month: parts.month, day: parts.day }, offset: Math.round((wall - Math.floor(instant.getTime() / 1000) * 1000) / 60_000) };
  };

  it("says what Intl says across DST changes, a zone's change of offset and Kamchatka's new year, asked again and again", () => {
    const around: [string, string][] = [
      ["Europe/Berlin", "2026-03-29T01:00:00Z"], // CET -> CEST
      ["Europe/Berlin", "2026-10-25T01:00:00Z"], // CEST -> CET: the local hour 02:00-03:00 twice
      ["Europe/Moscow", "2014-10-25T22:00:00Z"], // +4 -> +3 for good
      ["Asia/Kamchatka", "2026-12-31T12:00:00Z"], // local midnight of 1 January
      ["America/Sao_Paulo", "2018-11-04T03:00:00Z"], // a midnight that did not exist
    ];
    let asked = 0;
    for (const [zone, at] of around) {
      const middle = Date.parse(at);
      for (let ms = middle - 3_600_000; ms <= middle + 3_600_000; ms += 7_001) {
        const instant = new Date(ms);
        const expected = intl(instant, zone);
        for (let again = 0; again < 2; again++) {
          expect(localDateOf(instant, zone)).toEqual(expected.date);
          expect(zoneOffsetMinutes(instant, zone)).toBe(expected.offset);
          asked++;
        }
      }
    }
    expect(asked).toBeGreaterThan(5 * 2 * 1000);
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
