import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweep } from "../src/usecases/sweeps";
import { apply, child, enrollmentHarness, lifecycleCalls, openGroup, outboxEvents, world, type ApplicationView, type EnrollmentHarness, type World } from "./fixtures/enrollment";

// What used to be constants is the municipality's to set: how close to the head a family is told
// its turn is near (5), how long before an offer expires its reminder goes (24 h), and each year's
// calendar of days off that review deadlines count (the decreed transfers, Kurban Ait, working Saturdays).
describe("the municipality's own notice settings and calendar", () => {
  let h: EnrollmentHarness;
  let w: World;
  let staff: { authorization: string };
  beforeAll(async () => {
    h = await enrollmentHarness("enr-settings");
    w = await world(h, { providerReviewWorkingDays: 1, offerAcceptanceDays: 3 });
    staff = await h.as({ role: "municipality", municipalityId: w.municipalityId });
  });
  afterAll(async () => {
    await h.close();
  });
  const { confirm } = lifecycleCalls(() => ({ h, w }));
  const put = (url: string, payload: Record<string, unknown>, headers = staff) => h.app.inject({ method: "PUT", url, headers, payload });

  it("tells families within the municipality's threshold of the head, not today's five", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    expect((await h.app.inject({ method: "GET", url: `/municipalities/${w.municipalityId}/notice-settings`, headers: staff })).json()).toEqual({
      positionThreshold: 5,
      offerReminderHours: 24,
      effectiveFrom: null,
      source: "default",
    });
    const set = await put(`/municipalities/${w.municipalityId}/notice-settings`, { positionThreshold: 2, offerReminderHours: 48 });
    expect(set.json()).toMatchObject({ effectiveFrom: "2026-09-01", positionThreshold: 2, offerReminderHours: 48 });
    const { groupId } = await openGroup(h, w, { capacity: 1 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const k = await child(h, w);
      ids.push((await apply(h, k.guardian, k.childId, groupId)).json<ApplicationView>().id);
    }
    const told = (await outboxEvents<{ applicationId: string; threshold: number }>(h.pool, "enrollment.notification.position-approaching")).filter((e) => ids.includes(e.data.applicationId));
    expect(told.map((e) => e.data.applicationId).sort()).toEqual([ids[0], ids[1]].sort());
    expect(told.every((e) => e.data.threshold === 2)).toBe(true);
  });

  it("reminds of an offer as long before its deadline as the municipality set", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const { groupId } = await openGroup(h, w, { capacity: 1, slots: [{ weekday: 6, start: "10:00", end: "11:00" }] });
    const k = await child(h, w);
    const offered = (await confirm((await apply(h, k.guardian, k.childId, groupId)).json<ApplicationView>().id)).json<{ offers: { id: string; deadline: string }[] }>();
    const deadline = new Date(offered.offers[0]!.deadline);
    const reminders = async () => (await outboxEvents<{ offerId: string }>(h.pool, "enrollment.notification.offer-expiring")).filter((e) => e.data.offerId === offered.offers[0]!.id);
    // 47 hours before: within the municipality's 48, though beyond the old 24.
    await sweep(h.pool, new Date(deadline.getTime() - 47 * 3_600_000));
    expect(await reminders()).toHaveLength(1);
  });

  it("counts review deadlines by the calendar the municipality set: a decreed day off is skipped, a decreed working Saturday counts", async () => {
    const calendar = `/municipalities/${w.municipalityId}/calendars/2026`;
    const fallback = (await h.app.inject({ method: "GET", url: calendar, headers: staff })).json<{ source: string; daysOff: string[] }>();
    expect(fallback.source).toBe("default");
    expect(fallback.daysOff).toContain("2026-11-04");

    // Friday 4 September, Kamchatka; one working day to review: Monday 7 by the fixed holidays.
    const reviewDue = async (at: string) => {
      h.clock.set(at);
      const { groupId } = await openGroup(h, w, { capacity: 5, slots: [{ weekday: 1, start: "10:00", end: "11:00" }] });
      const k = await child(h, w);
      return (await apply(h, k.guardian, k.childId, groupId)).json<{ reviewDueAt: string }>().reviewDueAt;
    };
    expect(await reviewDue("2026-09-04T01:00:00Z")).toBe("2026-09-07T12:00:00.000Z");
    // The official decrees Monday 7 September off: Tuesday 8.
    const decreed = await put(calendar, { daysOff: [...fallback.daysOff, "2026-09-07"] });
    expect(decreed.json()).toMatchObject({ effectiveFrom: "2026-09-04" });
    expect(await reviewDue("2026-09-04T01:05:00Z")).toBe("2026-09-08T12:00:00.000Z");
    // And Saturday 5 September a working day: Saturday 5.
    await put(calendar, { daysOff: [...fallback.daysOff, "2026-09-07"], workingDays: ["2026-09-05"] });
    expect(await reviewDue("2026-09-04T01:10:00Z")).toBe("2026-09-05T12:00:00.000Z");

    // A weekday listed as a working day, or a date of another year, is refused naming the field.
    const weekday = await put(calendar, { daysOff: [], workingDays: ["2026-09-08"] });
    expect(weekday.json()).toMatchObject({ status: 422, code: "ENROLLMENT.CALENDAR_INVALID", invalidParams: [{ name: "body.workingDays.0" }] });
    const otherYear = await put(calendar, { daysOff: ["2027-01-01"] });
    expect(otherYear.json()).toMatchObject({ code: "ENROLLMENT.CALENDAR_INVALID", invalidParams: [{ name: "body.daysOff.0" }] });
    // Another municipality's staff cannot set it.
    const stranger = await h.as({ role: "municipality", municipalityId: (await world(h)).municipalityId });
    expect((await put(calendar, { daysOff: [] }, stranger)).statusCode).toBe(403);
  });
});
