import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDueMonths } from "../src/usecases/months";
import { attendanceHarness, enrolled, group, mark, outboxEvents, world, type AttendanceHarness } from "./fixtures/attendance";

// Month close on the real database: one summary per enrollment with a version, closing twice
// changes nothing, a reopened month's new close supersedes the first; the close job closes on the
// closing day in the local zone; guardians confirm or dispute, operators resolve, and where the
// municipality requires confirmation only confirmed marks are billable.

interface Summary {
  enrollmentId: string;
  version: number;
  supersedes: number | null;
  scheduled: number;
  present: number;
  unexcused: number;
  unmarked: number;
  disputed: number;
  unconfirmed: number;
  billable: number;
}

describe("month close", () => {
  let h: AttendanceHarness;
  beforeAll(async () => {
    h = await attendanceHarness("att-months", "2026-09-01T00:00:00Z");
  });
  afterAll(async () => h?.close());

  const close = (municipalityId: string, month: string, who: { authorization: string }) =>
    h.app.inject({ method: "POST", url: `/municipalities/${municipalityId}/months/${month}/close`, headers: who });
  const summaryEvents = async (municipalityId: string) =>
    (await outboxEvents<Summary>(h.pool, "attendance.month.summarised")).filter((e) => e.municipalityId === municipalityId).map((e) => e.data);

  it("closes once, twice changes nothing, reopened and corrected publishes version 2 superseding version 1", async () => {
    h.clock.set("2026-09-01T00:00:00Z");
    const w = await world(h);
    const groupId = await group(h, w);
    const a = await enrolled(h, w, groupId);
    const b = await enrolled(h, w, groupId);
    h.clock.set("2026-09-29T06:00:00Z"); // 18:00 on 29 September in Kamchatka
    for (const date of ["2026-09-01", "2026-09-03", "2026-09-08"]) {
      expect((await mark(h, w, groupId, `${date}T15:00`, [{ childId: a.childId, status: "present" }, { childId: b.childId, status: "absent" }])).statusCode).toBe(200);
    }
    const operator = await h.as({ role: "operator", municipalityId: w.municipalityId });
    const early = await close(w.municipalityId, "2026-09", operator);
    expect(early.json()).toMatchObject({ code: "ATTENDANCE.MONTH_NOT_ENDED" });

    h.clock.set("2026-10-01T00:00:00Z"); // noon on 1 October in Kamchatka
    const first = await close(w.municipalityId, "2026-09", operator);
    expect(first.json()).toEqual({ month: "2026-09", version: 1, closedNow: true, enrollments: 2 });
    const twice = await close(w.municipalityId, "2026-09", operator);
    expect(twice.json()).toMatchObject({ version: 1, closedNow: false });
    let events = await summaryEvents(w.municipalityId);
    expect(events).toHaveLength(2);
    expect(events.find((e) => e.enrollmentId === a.enrollmentId)).toMatchObject({ version: 1, supersedes: null, scheduled: 9, present: 3, unmarked: 6, billable: 3 });
    expect(events.find((e) => e.enrollmentId === b.enrollmentId)).toMatchObject({ present: 0, unexcused: 3, billable: 0 });
    expect((await outboxEvents(h.pool, "attendance.month.closed")).filter((e) => e.municipalityId === w.municipalityId)).toHaveLength(1);

    // Locked: no marks, no reviews.
    const locked = await mark(h, w, groupId, "2026-09-10T15:00", [{ childId: a.childId, status: "present" }]);
    expect(locked.json()).toMatchObject({ code: "ATTENDANCE.MONTH_CLOSED" });
    // Only the municipality reopens.
    expect((await h.app.inject({ method: "POST", url: `/municipalities/${w.municipalityId}/months/2026-09/reopen`, headers: operator })).json()).toMatchObject({ code: "AUTH.FORBIDDEN_ROLE" });
    const official = await h.as({ role: "municipality", municipalityId: w.municipalityId });
    const reopened = await h.app.inject({ method: "POST", url: `/municipalities/${w.municipalityId}/months/2026-09/reopen`, headers: official });
    expect(reopened.json()).toEqual({ month: "2026-09", version: 1 });
    // The correction: b was there on 8 September after all, and the lesson of 10 September is marked.
    expect((await mark(h, w, groupId, "2026-09-08T15:00", [{ childId: b.childId, status: "present" }])).statusCode).toBe(200);
    expect((await mark(h, w, groupId, "2026-09-10T15:00", [{ childId: a.childId, status: "present" }, { childId: b.childId, status: "present" }])).statusCode).toBe(200);
    const second = await close(w.municipalityId, "2026-09", official);
    expect(second.json()).toEqual({ month: "2026-09", version: 2, closedNow: true, enrollments: 2 });
    events = await summaryEvents(w.municipalityId);
    expect(events).toHaveLength(4);
    expect(events.filter((e) => e.version === 2).find((e) => e.enrollmentId === b.enrollmentId)).toMatchObject({ supersedes: 1, present: 2, unexcused: 2, billable: 2 });
    const latest = await h.app.inject({ method: "GET", url: `/municipalities/${w.municipalityId}/months/2026-09/summaries`, headers: operator });
    expect(latest.json()).toMatchObject({ status: "closed", version: 2 });
  });

  it("closes the previous month on its closing day (the 3rd working day, local), by the job", async () => {
    h.clock.set("2026-10-01T00:00:00Z");
    const w = await world(h, { timeZone: "Europe/Moscow" });
    const groupId = await group(h, w);
    const a = await enrolled(h, w, groupId);
    h.clock.set("2026-10-06T13:00:00Z");
    expect((await mark(h, w, groupId, "2026-10-06T15:00", [{ childId: a.childId, status: "present" }])).statusCode).toBe(200);
    // October's closing day is Thursday 5 November (4 November is a holiday). On the 4th nothing closes.
    h.clock.set("2026-11-04T20:59:00Z"); // 23:59 on the 4th in Moscow
    const deps = { pool: h.pool, clock: h.clock };
    expect((await closeDueMonths(deps)).filter((c) => c.month === "2026-10" && c.enrollments === 1)).toHaveLength(0);
    h.clock.set("2026-11-04T21:00:00Z"); // midnight, 5 November in Moscow
    const closed = await closeDueMonths(deps);
    expect(closed).toContainEqual({ month: "2026-10", version: 1, closedNow: true, enrollments: 1 });
    // Run again: nothing more.
    expect((await closeDueMonths(deps)).filter((c) => c.month === "2026-10")).toEqual([]);
    expect((await summaryEvents(w.municipalityId)).map((e) => [e.enrollmentId, e.version, e.present])).toEqual([[a.enrollmentId, 1, 1]]);
  });

  it("bills only confirmed marks where confirmation is required, and no disputed mark until an operator resolves it", async () => {
    h.clock.set("2026-09-01T00:00:00Z");
    const w = await world(h, { timeZone: "Asia/Almaty", currency: "KZT" });
    const groupId = await group(h, w);
    const a = await enrolled(h, w, groupId);
    h.clock.set("2026-09-20T00:00:00Z");
    const lessons: string[] = [];
    for (const date of ["2026-09-01", "2026-09-03", "2026-09-08", "2026-09-10"]) {
      const res = await mark(h, w, groupId, `${date}T15:00`, [{ childId: a.childId, status: "present" }]);
      lessons.push(res.json<{ lessonId: string }>().lessonId);
    }
    const seen = await h.app.inject({ method: "GET", url: `/children/${a.childId}/marks?month=2026-09`, headers: a.guardian });
    expect(seen.json<unknown[]>()).toHaveLength(4);
    const review = (who: { authorization: string }, marks: Record<string, unknown>[]) => h.app.inject({ method: "POST", url: `/children/${a.childId}/mark-reviews`, headers: who, payload: { marks } });
    const reviewed = await review(a.guardian, [
      { lessonId: lessons[0], decision: "confirm" },
      { lessonId: lessons[1], decision: "confirm" },
      { lessonId: lessons[2], decision: "dispute", note: "болел, не ходил" },
    ]);
    expect(reviewed.statusCode, reviewed.body).toBe(200);
    const stranger = await h.as({ role: "guardian", municipalityId: w.municipalityId, guardianId: crypto.randomUUID() });
    expect((await review(stranger, [{ lessonId: lessons[3], decision: "confirm" }])).json()).toMatchObject({ code: "ATTENDANCE.NOT_YOUR_CHILD" });

    h.clock.set("2026-10-01T00:00:00Z");
    const operator = await h.as({ role: "operator", municipalityId: w.municipalityId });
    expect((await close(w.municipalityId, "2026-09", operator)).statusCode).toBe(200);
    let summary = (await summaryEvents(w.municipalityId)).find((e) => e.version === 1)!;
    // 4 present: 2 confirmed (billable), 1 disputed, 1 unconfirmed.
    expect(summary).toMatchObject({ present: 4, disputed: 1, unconfirmed: 1, billable: 2 });

    // The dispute is resolved (absent) after a reopening; the close that follows supersedes.
    await h.app.inject({ method: "POST", url: `/municipalities/${w.municipalityId}/months/2026-09/reopen`, headers: await h.as({ role: "municipality", municipalityId: w.municipalityId }) });
    const resolved = await review(operator, [{ lessonId: lessons[2], decision: "resolve", status: "absent", note: "справка из поликлиники" }]);
    expect(resolved.json()).toEqual([{ lessonId: lessons[2], status: "absent", review: "resolved" }]);
    expect((await close(w.municipalityId, "2026-09", operator)).json()).toMatchObject({ version: 2 });
    summary = (await summaryEvents(w.municipalityId)).find((e) => e.version === 2)!;
    expect(summary).toMatchObject({ present: 3, disputed: 0, unconfirmed: 1, unexcused: 1, billable: 2 });
    const changes = await h.app.inject({ method: "GET", url: `/groups/${groupId}/lessons/2026-09-08T15:00/changes`, headers: w.provider });
    expect(changes.json<{ newReview: string; role: string }[]>().map((c) => [c.role, c.newReview])).toEqual([
      ["provider", "none"],
      ["guardian", "disputed"],
      ["operator", "resolved"],
    ]);
  });
});
