import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attendanceHarness, group, world, type AttendanceHarness, type World } from "./fixtures/attendance";

// A municipality's attendance rules take effect from a date and nothing is overwritten (issue
// #18): each setting is a version; the rules in force on a day are the version with the latest
// effective date not after it, and every decision reads the version of the day it is about.

const base = { closingWorkingDay: 3, confirmationRequired: false, noticeDeadline: "09:00", proofWindowDays: 10, vacationDaysCap: 75, maxGroupsPerWeek: 4, lateEntryDays: 7, bulkLateMarks: 30 };

interface History {
  year: number;
  on: string;
  current: { effectiveFrom: string | null; rules: typeof base & { holidays: string[] } };
  versions: { effectiveFrom: string; rules: typeof base & { holidays: string[] }; setAt: string; setBy: string; inForce: boolean }[];
}

describe("attendance rules from a date, with their history", () => {
  let h: AttendanceHarness;
  let w: World;
  let official: { authorization: string };
  beforeAll(async () => {
    // Noon of Tuesday 1 September 2026 in Kamchatka.
    h = await attendanceHarness("att-rules", "2026-09-01T00:00:00Z");
    w = await world(h);
    official = await h.as({ role: "municipality", municipalityId: w.municipalityId });
  });
  afterAll(async () => h?.close());

  const rulesUrl = (year = 2026) => `/municipalities/${w.municipalityId}/years/${year}/rules`;
  const put = (payload: Record<string, unknown>, headers = official, year = 2026) => h.app.inject({ method: "PUT", url: rulesUrl(year), headers, payload });
  const history = async (year = 2026) => {
    const res = await h.app.inject({ method: "GET", url: `${rulesUrl(year)}/versions`, headers: official });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<History>();
  };
  const lessonDates = async (groupId: string, month: string) => {
    const res = await h.app.inject({ method: "GET", url: `/groups/${groupId}/lessons?month=${month}`, headers: w.provider });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ lessons: { date: string }[] }>().lessons.map((l) => l.date);
  };

  it("refuses a change back-dated or outside its year, naming the field, and keeps nothing of it", async () => {
    const past = await put({ ...base, holidays: [], effectiveFrom: "2026-08-31" });
    expect(past.statusCode).toBe(422);
    expect(past.json()).toMatchObject({ code: "ATTENDANCE.RULES_RETROACTIVE", invalidParams: [{ name: "body.effectiveFrom" }] });
    const elsewhere = await put({ ...base, holidays: [], effectiveFrom: "2027-01-10" });
    expect(elsewhere.statusCode).toBe(422);
    expect(elsewhere.json()).toMatchObject({ code: "ATTENDANCE.RULES_DATE_OUTSIDE_YEAR", invalidParams: [{ name: "body.effectiveFrom" }] });
    const before = await history();
    expect(before.versions).toEqual([]);
    expect(before.current.effectiveFrom).toBeNull();
  });

  it("keeps every version: the one in force today, a later one from its date, and each day's lessons by that day's rules", async () => {
    const groupId = await group(h, w);
    // From today: no holidays besides 1 January. From 1 October: Tuesday 6 October is a day off,
    // and so would be Tuesday 8 September, but September is governed by the version before.
    const first = await put({ ...base, holidays: ["2026-01-01"] });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ effectiveFrom: "2026-09-01", rules: { holidays: ["2026-01-01"] } });
    const second = await put({ ...base, holidays: ["2026-01-01", "2026-09-08", "2026-10-06"], maxGroupsPerWeek: 3, effectiveFrom: "2026-10-01" });
    expect(second.statusCode, second.body).toBe(200);

    const kept = await history();
    expect(kept.on).toBe("2026-09-01");
    expect(kept.versions.map((v) => [v.effectiveFrom, v.inForce])).toEqual([
      ["2026-10-01", false],
      ["2026-09-01", true],
    ]);
    expect(kept.current).toMatchObject({ effectiveFrom: "2026-09-01", rules: { maxGroupsPerWeek: 4 } });
    expect(kept.versions[0]!.setBy).not.toBe("");

    const on = async (date: string) => (await h.app.inject({ method: "GET", url: `${rulesUrl()}?on=${date}`, headers: official })).json<{ maxGroupsPerWeek: number }>().maxGroupsPerWeek;
    expect(await on("2026-09-30")).toBe(4);
    expect(await on("2026-10-01")).toBe(3);
    expect(await on("2026-08-01"), "before the first version: the seed defaults").toBe(4);

    expect(await lessonDates(groupId, "2026-09")).toContain("2026-09-08");
    const october = await lessonDates(groupId, "2026-10");
    expect(october).not.toContain("2026-10-06");
    expect(october).toContain("2026-10-08");

    // A correction with the same date supersedes the earlier one from that date; both stay.
    h.clock.set("2026-09-02T00:00:00Z");
    const corrected = await put({ ...base, holidays: ["2026-01-01"], effectiveFrom: "2026-10-01" });
    expect(corrected.statusCode, corrected.body).toBe(200);
    expect(await lessonDates(groupId, "2026-10")).toContain("2026-10-06");
    expect((await history()).versions.map((v) => v.effectiveFrom)).toEqual(["2026-10-01", "2026-10-01", "2026-09-01"]);
  });

  it("sets a year ahead from its first day unless told", async () => {
    const ahead = await put({ ...base, holidays: ["2027-01-01"] }, official, 2027);
    expect(ahead.statusCode, ahead.body).toBe(200);
    expect(ahead.json()).toMatchObject({ effectiveFrom: "2027-01-01" });
    expect((await history(2027)).current.effectiveFrom).toBe("2027-01-01");
  });

  it("is the municipality's own: another municipality's official, a provider and a guardian are refused", async () => {
    const neighbour = await h.as({ role: "municipality", municipalityId: randomUUID() });
    const guardian = await h.as({ role: "guardian", municipalityId: w.municipalityId, guardianId: randomUUID() });
    for (const headers of [neighbour, w.provider, guardian]) {
      const read = await h.app.inject({ method: "GET", url: `${rulesUrl()}/versions`, headers });
      expect(read.statusCode, read.body).toBe(403);
      const set = await put({ ...base, holidays: [] }, headers);
      expect(set.statusCode, set.body).toBe(403);
    }
    const operator = await h.as({ role: "operator", municipalityId: w.municipalityId });
    expect((await put({ ...base, holidays: [] }, operator)).statusCode, "an operator reads the rules but does not set them").toBe(403);
    expect((await h.app.inject({ method: "GET", url: `${rulesUrl()}/versions`, headers: operator })).statusCode).toBe(200);
  });
});
