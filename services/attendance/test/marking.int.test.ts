import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attendanceHarness, counts, enrolled, group, mark, outboxEvents, world, type AttendanceHarness, type World } from "./fixtures/attendance";

// Marking on the real database: the group's own provider marks whole lessons or a month's sheet,
// only for children on the lesson's roster, not before the lesson starts, until the month is
// closed; every change is kept with who, when, the old value and the new.

describe("marking lessons", () => {
  let h: AttendanceHarness;
  let w: World;
  let groupId: string;

  beforeAll(async () => {
    h = await attendanceHarness("att-marking");
    // Kamchatka (UTC+12): 2026-09-01T00:00Z is noon on Tuesday 1 September locally.
    w = await world(h);
    groupId = await group(h, w);
  });
  afterAll(async () => h?.close());

  it("serves its OpenAPI document and liveness", async () => {
    expect((await h.app.inject({ method: "GET", url: "/docs/json" })).json<{ paths: Record<string, unknown> }>().paths).toHaveProperty(["/groups/{id}/lessons/{lesson}"]);
    expect((await h.app.inject({ method: "GET", url: "/livez" })).statusCode).toBe(200);
  });

  it("marks a whole lesson, keeps every change with who, when, old and new, and announces it", async () => {
    const a = await enrolled(h, w, groupId);
    const b = await enrolled(h, w, groupId);
    h.clock.set("2026-09-01T03:05:00Z"); // 15:05 in Kamchatka: the 15:00 lesson has started
    const first = await mark(h, w, groupId, "2026-09-01T15:00", [
      { childId: a.childId, status: "present" },
      { childId: b.childId, status: "absent" },
    ]);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ date: "2026-09-01", start: "15:00", end: "16:30", onSchedule: true, changed: 2 });

    h.clock.set("2026-09-01T05:00:00Z");
    const again = await mark(h, w, groupId, "2026-09-01T15:00", [
      { childId: a.childId, status: "present" },
      { childId: b.childId, status: "present" },
    ]);
    expect(again.json()).toMatchObject({ changed: 1 });

    const changes = await h.app.inject({ method: "GET", url: `/groups/${groupId}/lessons/2026-09-01T15:00/changes`, headers: w.provider });
    const ofB = changes.json<{ childId: string; oldStatus: string | null; newStatus: string; changedAt: string; role: string }[]>().filter((c) => c.childId === b.childId);
    expect(ofB).toEqual([
      expect.objectContaining({ oldStatus: null, newStatus: "absent", changedAt: "2026-09-01T03:05:00.000Z", role: "provider" }),
      expect.objectContaining({ oldStatus: "absent", newStatus: "present", changedAt: "2026-09-01T05:00:00.000Z" }),
    ]);
    const events = (await outboxEvents<{ marks: { childId: string; previous: string | null }[] }>(h.pool, "attendance.lesson.marked")).filter((e) => e.aggregateId === first.json<{ lessonId: string }>().lessonId);
    expect(events.map((e) => e.data.marks.length)).toEqual([2, 1]);
    expect(events[1]!.data.marks[0]).toMatchObject({ childId: b.childId, previous: "absent" });

    const month = await h.app.inject({ method: "GET", url: `/groups/${groupId}/lessons?month=2026-09`, headers: w.provider });
    const view = month.json<{ lessons: { date: string; roster: string[] }[]; marks: unknown[] }>();
    // Tuesdays and Thursdays of September 2026: 1, 3, 8, 10, 15, 17, 22, 24, 29.
    expect(view.lessons.map((l) => l.date)).toEqual(["2026-09-01", "2026-09-03", "2026-09-08", "2026-09-10", "2026-09-15", "2026-09-17", "2026-09-22", "2026-09-24", "2026-09-29"]);
    expect(view.lessons[0]!.roster).toEqual(expect.arrayContaining([a.childId, b.childId]));
    expect(view.marks).toHaveLength(2);
  });

  it("refuses a child not on the lesson's roster, and writes nothing", async () => {
    const a = await enrolled(h, w, groupId);
    h.clock.set("2026-09-03T03:10:00Z");
    const before = await counts(h.pool);
    const res = await mark(h, w, groupId, "2026-09-03T15:00", [
      { childId: a.childId, status: "present" },
      { childId: randomUUID(), status: "present" },
    ]);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: "ATTENDANCE.NOT_ON_ROSTER", invalidParams: [{ name: "body.marks.1.childId" }] });
    expect(await counts(h.pool)).toEqual(before);
  });

  it("marks lessons that arrive together in shared transactions, each as if alone: one refused lesson writes nothing and refuses no other", async () => {
    const groups = await Promise.all(Array.from({ length: 6 }, () => group(h, w)));
    const children = await Promise.all(groups.map((g) => enrolled(h, w, g)));
    h.clock.set("2026-09-08T03:10:00Z"); // Tuesday 15:10 in Kamchatka
    const before = await counts(h.pool);
    const answers = await Promise.all([
      ...groups.map((g, i) => mark(h, w, g, "2026-09-08T15:00", [{ childId: children[i]!.childId, status: "present" }])),
      mark(h, w, groups[0]!, "2026-09-08T15:00", [{ childId: randomUUID(), status: "present" }]),
    ]);
    expect(answers.slice(0, 6).map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(answers[6]!.json()).toMatchObject({ code: "ATTENDANCE.NOT_ON_ROSTER" });
    const after = await counts(h.pool);
    expect({ lessons: after.lessons - before.lessons, marks: after.marks - before.marks }).toEqual({ lessons: 6, marks: 6 });
  });

  it("refuses a child enrolled after the lesson's date (the roster is the one on that date)", async () => {
    h.clock.set("2026-09-09T00:00:00Z");
    const late = await enrolled(h, w, groupId); // on the roster from 9 September, local
    h.clock.set("2026-09-10T04:00:00Z");
    const before = await mark(h, w, groupId, "2026-09-08T15:00", [{ childId: late.childId, status: "present" }]);
    expect(before.json()).toMatchObject({ code: "ATTENDANCE.NOT_ON_ROSTER" });
    expect((await mark(h, w, groupId, "2026-09-10T15:00", [{ childId: late.childId, status: "present" }])).statusCode).toBe(200);
  });

  it("refuses marks before the lesson starts, and writes nothing", async () => {
    const a = await enrolled(h, w, groupId);
    h.clock.set("2026-09-15T02:59:00Z"); // 14:59 in Kamchatka
    const before = await counts(h.pool);
    const res = await mark(h, w, groupId, "2026-09-15T15:00", [{ childId: a.childId, status: "present" }]);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: "ATTENDANCE.LESSON_NOT_STARTED" });
    expect(await counts(h.pool)).toEqual(before);
    h.clock.set("2026-09-15T03:00:00Z"); // 15:00 exactly: it has started
    expect((await mark(h, w, groupId, "2026-09-15T15:00", [{ childId: a.childId, status: "present" }])).statusCode).toBe(200);
  });

  it("refuses another provider's group, and other roles", async () => {
    const a = await enrolled(h, w, groupId);
    h.clock.set("2026-09-17T04:00:00Z");
    const stranger = await h.as({ role: "provider", municipalityId: w.municipalityId, providerId: randomUUID() });
    const before = await counts(h.pool);
    const other = await mark(h, w, groupId, "2026-09-17T15:00", [{ childId: a.childId, status: "present" }], stranger);
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({ code: "ATTENDANCE.NOT_YOUR_GROUP" });
    const elsewhere = await mark(h, w, groupId, "2026-09-17T15:00", [{ childId: a.childId, status: "present" }], await h.as({ role: "provider", municipalityId: randomUUID(), providerId: w.providerId }));
    expect(elsewhere.json()).toMatchObject({ code: "AUTH.OTHER_MUNICIPALITY" });
    const guardian = await mark(h, w, groupId, "2026-09-17T15:00", [{ childId: a.childId, status: "present" }], a.guardian);
    expect(guardian.json()).toMatchObject({ code: "AUTH.FORBIDDEN_ROLE" });
    expect(await counts(h.pool)).toEqual(before);
  });

  it("answers bad input with a problem document naming the field, and writes nothing", async () => {
    const before = await counts(h.pool);
    const cases = [
      { url: `/groups/${groupId}/lessons/2026-09-17T15:00`, payload: { marks: [{ childId: "nope", status: "present" }] }, field: "body.marks.0.childId" },
      { url: `/groups/${groupId}/lessons/2026-09-17T15:00`, payload: { marks: [{ childId: randomUUID(), status: "late" }] }, field: "body.marks.0.status" },
      { url: `/groups/${groupId}/lessons/2026-02-30T15:00`, payload: { marks: [{ childId: randomUUID(), status: "present" }] }, field: "params.lesson" },
      { url: `/groups/${groupId}/lessons/2026-09-17T15:00`, payload: { marks: [], extra: 1 }, field: "body" },
    ];
    for (const c of cases) {
      const res = await h.app.inject({ method: "PUT", url: c.url, headers: w.provider, payload: c.payload });
      expect(res.statusCode, c.url).toBe(400);
      expect(res.headers["content-type"]).toContain("application/problem+json");
      expect(res.json<{ invalidParams: { name: string }[] }>().invalidParams.map((p) => p.name).join(" ")).toContain(c.field);
    }
    expect(await counts(h.pool)).toEqual(before);
  });

  it("generates lessons without the catalogue's exceptions, public holidays and the provider's days off; a day of care is marked as such", async () => {
    const g = await group(h, w, { exceptions: [{ date: "2026-09-10", kind: "holiday", note: null }] });
    h.clock.set("2026-09-01T00:00:00Z");
    const a = await enrolled(h, w, g);
    h.clock.set("2026-09-05T00:00:00Z");
    for (const [date, kind] of [["2026-09-08", "cancelled"], ["2026-09-15", "closure"]]) {
      const off = await h.app.inject({ method: "POST", url: `/groups/${g}/days-off`, headers: w.provider, payload: { date, kind } });
      expect(off.statusCode, off.body).toBe(200);
    }
    const view = await h.app.inject({ method: "GET", url: `/groups/${g}/lessons?month=2026-09`, headers: w.provider });
    expect(view.json<{ lessons: { date: string }[] }>().lessons.map((l) => l.date)).toEqual(["2026-09-01", "2026-09-03", "2026-09-17", "2026-09-22", "2026-09-24", "2026-09-29"]);
    // 1, 6 and 8 January are public holidays of the seed calendar, on a Thursday, a Tuesday and a Thursday.
    const january = await h.app.inject({ method: "GET", url: `/groups/${g}/lessons?month=2026-01`, headers: w.provider });
    expect(january.json<{ lessons: { date: string }[] }>().lessons.map((l) => l.date)).toEqual(["2026-01-13", "2026-01-15", "2026-01-20", "2026-01-22", "2026-01-27", "2026-01-29"]);

    expect((await h.app.inject({ method: "PUT", url: `/groups/${g}/kind`, headers: w.provider, payload: { kind: "day_of_care" } })).statusCode).toBe(200);
    h.clock.set("2026-09-09T00:00:00Z");
    const cancelled = await mark(h, w, g, "2026-09-08T15:00", [{ childId: a.childId, status: "present" }]);
    expect(cancelled.json()).toMatchObject({ onSchedule: false });
    const event = (await outboxEvents<{ kind: string; onSchedule: boolean }>(h.pool, "attendance.lesson.marked")).find((e) => e.aggregateId === cancelled.json<{ lessonId: string }>().lessonId);
    expect(event?.data).toMatchObject({ kind: "day_of_care", onSchedule: false });
  });

  it("marks a month's sheet in one go, and refuses a lesson of another month in it", async () => {
    const sheetGroup = await group(h, w);
    h.clock.set("2026-09-01T00:00:00Z");
    const a = await enrolled(h, w, sheetGroup);
    h.clock.set("2026-09-30T00:00:00Z");
    const lessons = ["2026-09-01", "2026-09-03", "2026-09-08"].map((date) => ({ date, start: "15:00", marks: [{ childId: a.childId, status: "present" }] }));
    const res = await h.app.inject({ method: "PUT", url: `/groups/${sheetGroup}/sheets/2026-09`, headers: w.provider, payload: { lessons } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<unknown[]>()).toHaveLength(3);
    const wrong = await h.app.inject({ method: "PUT", url: `/groups/${sheetGroup}/sheets/2026-09`, headers: w.provider, payload: { lessons: [...lessons, { date: "2026-10-01", start: "15:00", marks: lessons[0]!.marks }] } });
    expect(wrong.json()).toMatchObject({ code: "ATTENDANCE.LESSON_NOT_IN_MONTH", invalidParams: [{ name: "body.lessons.3.date" }] });
  });
});
