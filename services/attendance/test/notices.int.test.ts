import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attendanceHarness, counts, enrolled, group, mark, outboxEvents, world, type AttendanceHarness, type Child, type World } from "./fixtures/attendance";

// Absence notices on the real database: the 09:00 rule in the municipality's zone, the proof
// window, the 75-day vacation cap, and a quarantine that excuses a whole group, as the month's
// summaries count them.

interface Summary {
  enrollmentId: string;
  scheduled: number;
  present: number;
  excused: Record<string, number>;
  unexcused: number;
  unmarked: number;
}

describe("absence notices", () => {
  let h: AttendanceHarness;
  beforeAll(async () => {
    h = await attendanceHarness("att-notices", "2026-01-01T00:00:00Z");
  });
  afterAll(async () => h?.close());

  const notify = (who: { authorization: string }, payload: Record<string, unknown>) => h.app.inject({ method: "POST", url: "/absence-notices", headers: who, payload });
  async function closeAndSummaries(w: World, month: string): Promise<Map<string, Summary>> {
    const operator = await h.as({ role: "operator", municipalityId: w.municipalityId });
    const closed = await h.app.inject({ method: "POST", url: `/municipalities/${w.municipalityId}/months/${month}/close`, headers: operator });
    expect(closed.statusCode, closed.body).toBe(200);
    const answer = await h.app.inject({ method: "GET", url: `/municipalities/${w.municipalityId}/months/${month}/summaries`, headers: operator });
    return new Map(answer.json<{ items: Summary[] }>().items.map((s) => [s.enrollmentId, s]));
  }

  it("judges 08:59, 09:00 and 09:01 local time in Kamchatka (UTC+12) and Komi (UTC+3) at the same UTC instants", async () => {
    h.clock.set("2026-10-01T00:00:00Z");
    const kamchatka = await world(h, { timeZone: "Asia/Kamchatka" });
    const komi = await world(h, { timeZone: "Europe/Moscow" });
    const kChild = await enrolled(h, kamchatka, await group(h, kamchatka));
    const mChild = await enrolled(h, komi, await group(h, komi));
    // The first day of absence is 6 October in both. 20:59Z on the 5th is 08:59 on the 6th in
    // Kamchatka and 23:59 on the 5th in Komi; 05:59Z on the 6th is 17:59 in Kamchatka and 08:59 in Komi.
    const instants = ["2026-10-05T20:59:00Z", "2026-10-05T21:00:00Z", "2026-10-05T21:01:00Z", "2026-10-06T05:59:00Z", "2026-10-06T06:00:00Z", "2026-10-06T06:01:00Z"];
    const onTime: Record<string, boolean[]> = { kamchatka: [], komi: [] };
    for (const at of instants) {
      h.clock.set(at);
      for (const [name, child] of [["kamchatka", kChild], ["komi", mChild]] as const) {
        const res = await notify(child.guardian, { childId: child.childId, reason: "illness", from: "2026-10-06", to: "2026-10-07" });
        expect(res.statusCode, res.body).toBe(201);
        onTime[name]!.push(res.json<{ onTime: boolean }>().onTime);
      }
    }
    expect(onTime).toEqual({ kamchatka: [true, true, false, false, false, false], komi: [true, true, true, true, true, false] });
    const events = await outboxEvents<{ onTime: boolean; receivedAt: string }>(h.pool, "attendance.absence.noticed");
    expect(events.filter((e) => e.municipalityId === kamchatka.municipalityId).map((e) => e.data.onTime)).toEqual(onTime.kamchatka);
  });

  it("counts a timely illness with its proof as excused, a late one and one without proof as unexcused, at month close", async () => {
    h.clock.set("2026-11-01T00:00:00Z");
    const w = await world(h, { timeZone: "Europe/Moscow" });
    const groupId = await group(h, w);
    const [timely, late, unproven] = [await enrolled(h, w, groupId), await enrolled(h, w, groupId), await enrolled(h, w, groupId)];
    // Tuesday 3 November, 08:30 Moscow time: two notices on time, then one at 09:30.
    h.clock.set("2026-11-03T05:30:00Z");
    const t = await notify(timely.guardian, { childId: timely.childId, reason: "illness", from: "2026-11-03", to: "2026-11-05" });
    await notify(unproven.guardian, { childId: unproven.childId, reason: "illness", from: "2026-11-03", to: "2026-11-05" });
    h.clock.set("2026-11-03T06:30:00Z");
    const l = await notify(late.guardian, { childId: late.childId, reason: "illness", from: "2026-11-03", to: "2026-11-05" });
    expect([t.json<{ onTime: boolean }>().onTime, l.json<{ onTime: boolean }>().onTime]).toEqual([true, false]);
    // The lessons of 3 and 5 November, everyone absent.
    for (const lesson of ["2026-11-03T15:00", "2026-11-05T15:00"]) {
      h.clock.set(lesson.slice(0, 10) + "T13:00:00Z");
      const res = await mark(h, w, groupId, lesson, [timely, late, unproven].map((c) => ({ childId: c.childId, status: "absent" as const })));
      expect(res.statusCode, res.body).toBe(200);
    }
    // Proofs within the window (5 + 10 days = 15 November) for the timely and the late one.
    h.clock.set("2026-11-10T10:00:00Z");
    for (const n of [t, l]) {
      const proof = await h.app.inject({ method: "POST", url: `/absence-notices/${n.json<{ id: string }>().id}/proof`, headers: (n === t ? timely : late).guardian, payload: { reference: "справка 095/у №123" } });
      expect(proof.json()).toMatchObject({ proofLate: false });
    }
    h.clock.set("2026-12-01T06:00:00Z");
    const summaries = await closeAndSummaries(w, "2026-11");
    expect(summaries.get(timely.enrollmentId)).toMatchObject({ excused: { illness: 2 }, unexcused: 0 });
    expect(summaries.get(late.enrollmentId)).toMatchObject({ excused: { illness: 0 }, unexcused: 2 });
    expect(summaries.get(unproven.enrollmentId)).toMatchObject({ excused: { illness: 0 }, unexcused: 2 });
  });

  it("excuses 75 vacation days a calendar year: the 76th is unexcused", async () => {
    h.clock.set("2026-01-01T00:00:00Z");
    const w = await world(h, { timeZone: "Europe/Moscow" });
    // Lessons every day, so every vacation day is a lesson day.
    const daily = Array.from({ length: 7 }, (_, i) => ({ weekday: i + 1, start: "10:00", end: "11:00" }));
    const groupId = await group(h, w, { slots: daily });
    const child = await enrolled(h, w, groupId);
    // 1 June - 14 August: 75 days, on time; then 15-16 August, on time too.
    h.clock.set("2026-05-31T12:00:00Z");
    expect((await notify(child.guardian, { childId: child.childId, reason: "vacation", from: "2026-06-01", to: "2026-08-14" })).statusCode).toBe(201);
    h.clock.set("2026-08-14T12:00:00Z");
    expect((await notify(child.guardian, { childId: child.childId, reason: "vacation", from: "2026-08-15", to: "2026-08-16" })).statusCode).toBe(201);
    h.clock.set("2026-08-20T12:00:00Z");
    const lessons = ["2026-08-13", "2026-08-14", "2026-08-15", "2026-08-16"].map((date) => ({ date, start: "10:00", marks: [{ childId: child.childId, status: "absent" }] }));
    const sheet = await h.app.inject({ method: "PUT", url: `/groups/${groupId}/sheets/2026-08`, headers: w.provider, payload: { lessons } });
    expect(sheet.statusCode, sheet.body).toBe(200);
    h.clock.set("2026-09-01T12:00:00Z");
    const summary = (await closeAndSummaries(w, "2026-08")).get(child.enrollmentId)!;
    // 13 and 14 August are the 74th and 75th vacation days; 15 August is the 76th.
    expect(summary).toMatchObject({ excused: { vacation: 2 }, unexcused: 2 });
  });

  it("lets the provider notify a quarantine that excuses the whole group, and no other group", async () => {
    h.clock.set("2026-02-01T00:00:00Z");
    const w = await world(h, { timeZone: "Asia/Kamchatka" });
    const groupId = await group(h, w);
    const otherGroup = await group(h, w);
    const children: Child[] = [];
    for (let i = 0; i < 3; i++) children.push(await enrolled(h, w, groupId));
    const outside = await enrolled(h, w, otherGroup);
    // Monday 9 February, 08:00 in Kamchatka: the order covers 10-12 February.
    h.clock.set("2026-02-08T20:00:00Z");
    const refused = await notify(children[0]!.guardian, { groupId, reason: "quarantine", from: "2026-02-10", to: "2026-02-12" });
    expect(refused.json()).toMatchObject({ code: "AUTH.FORBIDDEN_ROLE" });
    const withChild = await notify(w.provider, { groupId, childId: children[0]!.childId, reason: "quarantine", from: "2026-02-10", to: "2026-02-12" });
    expect(withChild.json()).toMatchObject({ code: "ATTENDANCE.NOTICE_SUBJECT" });
    const q = await notify(w.provider, { groupId, reason: "quarantine", from: "2026-02-10", to: "2026-02-12" });
    expect(q.statusCode, q.body).toBe(201);
    expect(q.json()).toMatchObject({ childId: null, groupId, onTime: true, proofDueOn: "2026-02-22" });
    const order = await h.app.inject({ method: "POST", url: `/absence-notices/${q.json<{ id: string }>().id}/proof`, headers: w.provider, payload: { reference: "приказ № 17-к" } });
    expect(order.statusCode, order.body).toBe(200);
    h.clock.set("2026-02-12T10:00:00Z");
    expect((await mark(h, w, groupId, "2026-02-10T15:00", children.map((c) => ({ childId: c.childId, status: "absent" as const })))).statusCode).toBe(200);
    expect((await mark(h, w, otherGroup, "2026-02-10T15:00", [{ childId: outside.childId, status: "absent" }])).statusCode).toBe(200);
    h.clock.set("2026-03-01T00:00:00Z");
    const summaries = await closeAndSummaries(w, "2026-02");
    for (const c of children) expect(summaries.get(c.enrollmentId)).toMatchObject({ excused: { quarantine: 1 }, unexcused: 0 });
    expect(summaries.get(outside.enrollmentId)).toMatchObject({ excused: { quarantine: 0 }, unexcused: 1 });
  });

  it("refuses a guardian's notice for another's child, and bad input, writing nothing", async () => {
    h.clock.set("2026-03-01T00:00:00Z");
    const w = await world(h);
    const child = await enrolled(h, w, await group(h, w));
    const stranger = await h.as({ role: "guardian", municipalityId: w.municipalityId, guardianId: randomUUID() });
    const before = await counts(h.pool);
    const other = await notify(stranger, { childId: child.childId, reason: "illness", from: "2026-03-02", to: "2026-03-03" });
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({ code: "ATTENDANCE.NOT_YOUR_CHILD" });
    const inverted = await notify(child.guardian, { childId: child.childId, reason: "illness", from: "2026-03-05", to: "2026-03-03" });
    expect(inverted.json()).toMatchObject({ code: "ATTENDANCE.DATES_INVERTED", invalidParams: [{ name: "body.to" }] });
    const bad = await notify(child.guardian, { childId: child.childId, reason: "boredom", from: "2026-03-05", to: "2026-03-33" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ invalidParams: { name: string }[] }>().invalidParams.map((p) => p.name).sort()).toEqual(["body.reason", "body.to"]);
    expect(await counts(h.pool)).toEqual(before);
  });
});
