import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweep } from "../src/usecases/sweeps";
import { apply, child, enrollmentHarness, lifecycleCalls, openGroup, outboxEvents, world, type ApplicationView, type EnrollmentHarness, type World } from "./fixtures/enrollment";

// The calendar and the notice thresholds take effect from a date and nothing is overwritten
// (issue #18): each setting is a version; the one in force on a day is the version with the
// latest effective date not after it (of two with one date, the later set), and every reader
// decides by the version of the day it decides about: a threshold by the moment of telling, a
// reminder by the moment of reminding, a review deadline's every day by that day's calendar.

interface NoticeHistory {
  on: string;
  current: { positionThreshold: number; offerReminderHours: number; effectiveFrom: string | null; source: string };
  defaults: { positionThreshold: number; offerReminderHours: number };
  versions: { effectiveFrom: string; positionThreshold: number; offerReminderHours: number; setAt: string; setBy: string; inForce: boolean }[];
}

interface CalendarHistory {
  year: number;
  on: string;
  current: { effectiveFrom: string | null; daysOff: string[]; workingDays: string[]; source: string };
  defaults: { daysOff: string[]; workingDays: string[] };
  versions: { effectiveFrom: string; daysOff: string[]; workingDays: string[]; setAt: string; setBy: string; inForce: boolean }[];
}

describe("the calendar and the notice thresholds from a date, with their history", () => {
  let h: EnrollmentHarness;
  let w: World;
  let staff: { authorization: string };
  beforeAll(async () => {
    h = await enrollmentHarness("enr-settings-history");
    // Offers run 6 days; a provider has 1 working day to review. Kamchatka (UTC+12).
    w = await world(h, { providerReviewWorkingDays: 1, offerAcceptanceDays: 6 });
    staff = await h.as({ role: "municipality", municipalityId: w.municipalityId });
  });
  afterAll(async () => h?.close());

  const { confirm } = lifecycleCalls(() => ({ h, w }));
  const notices = (of: World = w) => `/municipalities/${of.municipalityId}/notice-settings`;
  const calendar = (of: World, year = 2026) => `/municipalities/${of.municipalityId}/calendars/${year}`;
  const put = (url: string, payload: Record<string, unknown>, headers = staff) => h.app.inject({ method: "PUT", url, headers, payload });
  const read = async <T>(url: string, headers = staff) => {
    const res = await h.app.inject({ method: "GET", url, headers });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<T>();
  };
  const applyAll = async (groupId: string, count: number, of: World = w) => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const k = await child(h, of);
      const res = await apply(h, k.guardian, k.childId, groupId);
      expect(res.statusCode, res.body).toBe(201);
      ids.push(res.json<ApplicationView>().id);
    }
    return ids;
  };
  const told = async (ids: readonly string[]) =>
    (await outboxEvents<{ applicationId: string; threshold: number }>(h.pool, "enrollment.notification.position-approaching"))
      .filter((e) => ids.includes(e.data.applicationId))
      .map((e) => [ids.indexOf(e.data.applicationId) + 1, e.data.threshold]);

  it("refuses a change back-dated or, for a calendar, outside its year, naming the field, and keeps nothing of it", async () => {
    // Noon of Tuesday 1 September 2026 in Kamchatka.
    h.clock.set("2026-09-01T00:00:00Z");
    const past = await put(notices(), { positionThreshold: 2, offerReminderHours: 24, effectiveFrom: "2026-08-31" });
    expect(past.statusCode).toBe(422);
    expect(past.json()).toMatchObject({ code: "ENROLLMENT.SETTINGS_RETROACTIVE", invalidParams: [{ name: "body.effectiveFrom" }] });
    const pastDay = await put(calendar(w), { daysOff: ["2026-01-01"], effectiveFrom: "2026-08-31" });
    expect(pastDay.json()).toMatchObject({ status: 422, code: "ENROLLMENT.SETTINGS_RETROACTIVE", invalidParams: [{ name: "body.effectiveFrom" }] });
    const elsewhere = await put(calendar(w), { daysOff: ["2026-01-01"], effectiveFrom: "2027-01-10" });
    expect(elsewhere.json()).toMatchObject({ status: 422, code: "ENROLLMENT.SETTINGS_DATE_OUTSIDE_YEAR", invalidParams: [{ name: "body.effectiveFrom" }] });

    const noticesKept = await read<NoticeHistory>(`${notices()}/versions`);
    expect(noticesKept).toMatchObject({ on: "2026-09-01", versions: [], current: { effectiveFrom: null, source: "default", positionThreshold: 5 }, defaults: { positionThreshold: 5, offerReminderHours: 24 } });
    const calendarKept = await read<CalendarHistory>(`${calendar(w)}/versions`);
    expect(calendarKept.versions).toEqual([]);
    expect(calendarKept.current).toMatchObject({ effectiveFrom: null, source: "default" });
    expect(calendarKept.defaults.daysOff).toContain("2026-11-04");
  });

  it("keeps every version of the thresholds, and tells families by the threshold in force at the moment of telling", async () => {
    h.clock.set("2026-09-01T00:00:00Z");
    // From today: within 2 of the head. From 10 September: within 4, corrected the next day to 3
    // (the same date, set later: it wins from that date; both stay).
    const first = await put(notices(), { positionThreshold: 2, offerReminderHours: 24 });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ effectiveFrom: "2026-09-01", positionThreshold: 2, offerReminderHours: 24, setAt: "2026-09-01T00:00:00.000Z" });
    expect(first.json<{ setBy: string }>().setBy).not.toBe("");
    expect((await put(notices(), { positionThreshold: 4, offerReminderHours: 24, effectiveFrom: "2026-09-10" })).statusCode).toBe(200);
    h.clock.set("2026-09-02T00:00:00Z");
    expect((await put(notices(), { positionThreshold: 3, offerReminderHours: 72, effectiveFrom: "2026-09-10" })).statusCode).toBe(200);

    const kept = await read<NoticeHistory>(`${notices()}/versions`);
    expect(kept.on).toBe("2026-09-02");
    expect(kept.versions.map((v) => [v.effectiveFrom, v.positionThreshold, v.inForce])).toEqual([
      ["2026-09-10", 3, false],
      ["2026-09-10", 4, false],
      ["2026-09-01", 2, true],
    ]);
    expect(kept.current).toMatchObject({ effectiveFrom: "2026-09-01", positionThreshold: 2, source: "municipality" });
    const on = async (date: string) => read<NoticeHistory["current"]>(`${notices()}?on=${date}`);
    expect(await on("2026-09-09")).toMatchObject({ positionThreshold: 2, offerReminderHours: 24, effectiveFrom: "2026-09-01" });
    expect(await on("2026-09-10")).toMatchObject({ positionThreshold: 3, offerReminderHours: 72, effectiveFrom: "2026-09-10" });
    expect(await on("2026-08-31"), "before the first version: today's defaults").toEqual({ positionThreshold: 5, offerReminderHours: 24, effectiveFrom: null, source: "default" });

    // 2 September: four families apply to a group of one seat; the first two are told (within 2).
    const { groupId: early } = await openGroup(h, w, { capacity: 1 });
    const before = await applyAll(early, 4);
    expect(await told(before)).toEqual([
      [1, 2],
      [2, 2],
    ]);

    // 10 September (local; 9 September in UTC): five more in another group, the first three told.
    h.clock.set("2026-09-09T13:00:00Z");
    const { groupId: later } = await openGroup(h, w, { capacity: 1 });
    const after = await applyAll(later, 5);
    expect(await told(after)).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);

    // The first family of the early group withdraws (an operator for it): the queue moves up, and
    // the threshold in force now (3) tells the third and the fourth, now second and third; the
    // threshold of 2 September would have told the third only.
    const withdrawn = await h.app.inject({ method: "POST", url: `/applications/${before[0]}/withdrawal`, headers: w.operator });
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    expect(await told(before)).toEqual([
      [1, 2],
      [2, 2],
      [3, 3],
      [4, 3],
    ]);
  });

  it("reminds of an offer by the lead in force at the moment of reminding", async () => {
    // Offered on Saturday 5 September, local: 6 days, to the end of Friday 11 September.
    h.clock.set("2026-09-05T00:00:00Z");
    const { groupId } = await openGroup(h, w, { capacity: 1 });
    const [id] = await applyAll(groupId, 1);
    const offer = (await confirm(id!)).json<ApplicationView & { offers: { id: string; deadline: string }[] }>().offers[0]!;
    expect(offer.deadline).toBe("2026-09-11T12:00:00.000Z");
    const reminders = async () => (await outboxEvents<{ offerId: string }>(h.pool, "enrollment.notification.offer-expiring")).filter((e) => e.data.offerId === offer.id);

    // 23:00 on 9 September, local, 49 hours before: the lead in force is 24 hours (the 72 of 10 September is not yet).
    await sweep(h.pool, new Date("2026-09-09T11:00:00Z"));
    expect(await reminders()).toHaveLength(0);
    // 01:00 on 10 September, local, 47 hours before: the lead in force is 72 hours.
    await sweep(h.pool, new Date("2026-09-09T13:00:00Z"));
    expect(await reminders()).toHaveLength(1);
  });

  it("keeps every version of a year's calendar, and counts each day of a review deadline by the version in force on that day", async () => {
    const m = await world(h, { providerReviewWorkingDays: 1 });
    const office = await h.as({ role: "municipality", municipalityId: m.municipalityId });
    const reviewDue = async (at: string) => {
      h.clock.set(at);
      const { groupId } = await openGroup(h, m, { capacity: 5, slots: [{ weekday: 1, start: "10:00", end: "11:00" }] });
      const k = await child(h, m);
      const res = await apply(h, k.guardian, k.childId, groupId);
      expect(res.statusCode, res.body).toBe(201);
      return res.json<{ reviewDueAt: string }>().reviewDueAt;
    };
    const fixed = (await read<CalendarHistory>(`${calendar(m)}/versions`, office)).defaults.daysOff;

    // Thursday 3 September, local. From today: the fixed holidays. From Monday 7 September:
    // Monday 7 off too, and Friday 4 listed as well, though a version cannot make a day before its own date a day off.
    h.clock.set("2026-09-03T01:00:00Z");
    const first = await put(calendar(m), { daysOff: fixed }, office);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ year: 2026, effectiveFrom: "2026-09-03", workingDays: [] });
    const second = await put(calendar(m), { daysOff: [...fixed, "2026-09-04", "2026-09-07"], effectiveFrom: "2026-09-07" }, office);
    expect(second.statusCode, second.body).toBe(200);

    const kept = await read<CalendarHistory>(`${calendar(m)}/versions`, office);
    expect(kept).toMatchObject({ year: 2026, on: "2026-09-03", current: { effectiveFrom: "2026-09-03", source: "municipality" } });
    expect(kept.versions.map((v) => [v.effectiveFrom, v.inForce])).toEqual([
      ["2026-09-07", false],
      ["2026-09-03", true],
    ]);
    expect((await read<CalendarHistory["current"]>(`${calendar(m)}?on=2026-09-07`, office)).daysOff).toContain("2026-09-07");
    expect((await read<CalendarHistory["current"]>(`${calendar(m)}?on=2026-09-06`, office)).daysOff).not.toContain("2026-09-07");
    expect(await read<CalendarHistory["current"]>(`${calendar(m)}?on=2026-09-02`, office), "before the first version: the fixed holidays").toMatchObject({ effectiveFrom: null, source: "default" });

    // Applied Thursday 3: the one working day is Friday 4, a working day by the version of its day.
    expect(await reviewDue("2026-09-03T01:05:00Z")).toBe("2026-09-04T12:00:00.000Z");
    // Applied Friday 4: Monday 7 is off by the version in force on it (the one of Friday would count it): Tuesday 8.
    expect(await reviewDue("2026-09-04T01:00:00Z")).toBe("2026-09-08T12:00:00.000Z");

    // A correction with the same date supersedes the one before from that date; both stay.
    const corrected = await put(calendar(m), { daysOff: fixed, effectiveFrom: "2026-09-07" }, office);
    expect(corrected.statusCode, corrected.body).toBe(200);
    expect(await reviewDue("2026-09-04T01:05:00Z")).toBe("2026-09-07T12:00:00.000Z");
    expect((await read<CalendarHistory>(`${calendar(m)}/versions`, office)).versions.map((v) => v.effectiveFrom)).toEqual(["2026-09-07", "2026-09-07", "2026-09-03"]);

    // A year ahead takes effect on its first day unless told.
    const ahead = await put(calendar(m, 2027), { daysOff: ["2027-01-01", "2027-01-07"] }, office);
    expect(ahead.json()).toMatchObject({ year: 2027, effectiveFrom: "2027-01-01" });
    expect((await read<CalendarHistory>(`${calendar(m, 2027)}/versions`, office)).current).toMatchObject({ effectiveFrom: "2027-01-01", daysOff: ["2027-01-01", "2027-01-07"] });
  });

  it("is the municipality's own: another municipality's official, its operator, a provider and a guardian are refused", async () => {
    const neighbour = await h.as({ role: "municipality", municipalityId: randomUUID() });
    const guardian = await h.as({ role: "guardian", municipalityId: w.municipalityId, guardianId: randomUUID() });
    for (const headers of [neighbour, w.operator, w.provider, guardian]) {
      for (const url of [`${notices()}/versions`, `${calendar(w)}/versions`]) {
        const res = await h.app.inject({ method: "GET", url, headers });
        expect(res.statusCode, `${url}: ${res.body}`).toBe(403);
      }
      expect((await put(notices(), { positionThreshold: 5, offerReminderHours: 24 }, headers)).statusCode).toBe(403);
      expect((await put(calendar(w), { daysOff: [] }, headers)).statusCode).toBe(403);
    }
  });
});
