import { describe, expect, it } from "vitest";
import { decideRulesVersion, defaultEffectiveFrom, defaultRules, holidaysOf, rulesOn, type RulesBook } from "../src/domain/rules";

// Which version of a year's rules governs a day: the latest effective date not after it (of two
// with one date, the one set later), the seed defaults before any; a holiday is one when the
// rules in force on that very day name it.

const defaults = defaultRules(2026, "RUB");
const book = (...versions: { effectiveFrom: string; maxGroupsPerWeek: number; holidays?: string[] }[]): RulesBook => ({
  year: 2026,
  defaults,
  versions: versions.map((v) => ({ effectiveFrom: v.effectiveFrom, rules: { ...defaults, maxGroupsPerWeek: v.maxGroupsPerWeek, holidays: v.holidays ?? defaults.holidays } })),
});

describe("the rules in force on a day", () => {
  it("given versions from 1 March and 1 September, when asked of days around them, then each day gets its own", () => {
    const b = book({ effectiveFrom: "2026-03-01", maxGroupsPerWeek: 5 }, { effectiveFrom: "2026-09-01", maxGroupsPerWeek: 6 });
    expect(rulesOn(b, "2026-02-28")).toBe(defaults);
    expect(rulesOn(b, "2026-03-01").maxGroupsPerWeek).toBe(5);
    expect(rulesOn(b, "2026-08-31").maxGroupsPerWeek).toBe(5);
    expect(rulesOn(b, "2026-12-31").maxGroupsPerWeek).toBe(6);
  });

  it("given a later correction with the same date, then it governs from that date; set in any order of dates, the dates decide", () => {
    const b = book({ effectiveFrom: "2026-09-01", maxGroupsPerWeek: 6 }, { effectiveFrom: "2026-03-01", maxGroupsPerWeek: 5 }, { effectiveFrom: "2026-09-01", maxGroupsPerWeek: 7 });
    expect(rulesOn(b, "2026-05-01").maxGroupsPerWeek).toBe(5);
    expect(rulesOn(b, "2026-09-01").maxGroupsPerWeek).toBe(7);
  });

  it("given a holiday added from 1 March, then 23 February is no holiday by it, 8 March is", () => {
    const b = book({ effectiveFrom: "2026-03-01", maxGroupsPerWeek: 4, holidays: ["2026-01-01", "2026-02-23", "2026-03-08", "2026-03-09"] });
    const holidays = holidaysOf({ ...b, defaults: { ...defaults, holidays: ["2026-01-01"] } });
    expect(holidays).toEqual(["2026-01-01", "2026-03-08", "2026-03-09"]);
  });
});

describe("a new version", () => {
  it("takes effect from today or later, within its year; unset, today or the year's first day ahead", () => {
    expect(() => decideRulesVersion(2026, defaults, "2026-08-31", "2026-09-01")).toThrow(expect.objectContaining({ code: "ATTENDANCE.RULES_RETROACTIVE" }) as Error);
    expect(() => decideRulesVersion(2026, defaults, "2027-01-01", "2026-09-01")).toThrow(expect.objectContaining({ code: "ATTENDANCE.RULES_DATE_OUTSIDE_YEAR" }) as Error);
    expect(decideRulesVersion(2026, defaults, "2026-09-01", "2026-09-01").effectiveFrom).toBe("2026-09-01");
    expect(defaultEffectiveFrom(2026, "2026-09-01")).toBe("2026-09-01");
    expect(defaultEffectiveFrom(2027, "2026-09-01")).toBe("2027-01-01");
  });
});
