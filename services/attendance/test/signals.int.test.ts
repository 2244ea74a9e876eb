import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attendanceHarness, enrolled, group, mark, outboxEvents, world, type AttendanceHarness, type Child } from "./fixtures/attendance";

// Fraud signals are raised in the transaction of the mark that causes them: on the municipality's
// list and in the outbox the moment the mark is committed. None blocks marking.

interface SignalView {
  id: string;
  kind: string;
  childId: string | null;
  groupIds: string[];
  providerIds: string[];
  lessonIds: string[];
  evidence: Record<string, unknown>;
  raisedAt: string;
  resolution: string | null;
  resolvedAt: string | null;
}

describe("fraud signals", () => {
  let h: AttendanceHarness;
  beforeAll(async () => {
    h = await attendanceHarness("att-signals", "2026-09-01T00:00:00Z");
  });
  afterAll(async () => h?.close());

  const signals = async (municipalityId: string, kind?: string) => {
    const operator = await h.as({ role: "operator", municipalityId });
    const res = await h.app.inject({ method: "GET", url: `/municipalities/${municipalityId}/signals${kind ? `?kind=${kind}` : ""}`, headers: operator });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<SignalView[]>();
  };

  it("raises overlapping lessons for one child present in two providers' groups at once, with the evidence", async () => {
    h.clock.set("2026-09-01T00:00:00Z");
    const w = await world(h);
    const otherProvider = randomUUID();
    const robotics = await group(h, w); // Tue, Thu 15:00-16:30
    const chess = await group(h, w, { providerId: otherProvider, slots: [{ weekday: 2, start: "16:00", end: "17:00" }] });
    const child = await enrolled(h, w, robotics);
    await enrolled(h, w, chess, child.childId);
    h.clock.set("2026-09-01T05:00:00Z");
    const first = await mark(h, w, robotics, "2026-09-01T15:00", [{ childId: child.childId, status: "present" }]);
    expect(first.statusCode).toBe(200);
    const chessProvider = await h.as({ role: "provider", municipalityId: w.municipalityId, providerId: otherProvider });
    const markedAt = h.clock();
    const second = await mark(h, w, chess, "2026-09-01T16:00", [{ childId: child.childId, status: "present" }], chessProvider);
    expect(second.statusCode, "the signal does not block the mark").toBe(200);

    const [signal] = await signals(w.municipalityId, "overlapping_lessons");
    expect(signal).toMatchObject({ kind: "overlapping_lessons", childId: child.childId, raisedAt: markedAt.toISOString() });
    expect(signal!.providerIds.sort()).toEqual([w.providerId, otherProvider].sort());
    expect(signal!.lessonIds.sort()).toEqual([first.json<{ lessonId: string }>().lessonId, second.json<{ lessonId: string }>().lessonId].sort());
    expect(signal!.evidence).toMatchObject({ lessons: expect.arrayContaining([expect.objectContaining({ startsAt: "2026-09-01T04:00:00.000Z", endsAt: "2026-09-01T05:00:00.000Z" })]) as unknown });
    const events = (await outboxEvents<{ signalId: string; causedAt: string }>(h.pool, "attendance.signal.raised")).filter((e) => e.data.signalId === signal!.id);
    expect(events).toHaveLength(1);
    expect(events[0]!.data.causedAt).toBe(markedAt.toISOString());

    // Marked again, the same overlap is not raised twice.
    await mark(h, w, chess, "2026-09-01T16:00", [{ childId: child.childId, status: "absent" }], chessProvider);
    await mark(h, w, chess, "2026-09-01T16:00", [{ childId: child.childId, status: "present" }], chessProvider);
    expect(await signals(w.municipalityId, "overlapping_lessons")).toHaveLength(1);
    // Each provider reads the signal about its own group: its own lesson, not the other's, nor who
    // the other is; once resolved, the outcome but not the municipality's reason.
    const municipality = await h.as({ role: "municipality", municipalityId: w.municipalityId });
    const resolved = await h.app.inject({
      method: "POST",
      url: `/municipalities/${w.municipalityId}/signals/${signal!.id}/resolution`,
      headers: municipality,
      payload: { outcome: "dismissed", reason: "Шахматы перенесены приказом №12" },
    });
    expect(resolved.statusCode, resolved.body).toBe(200);
    for (const [headers, providerId, own] of [
      [w.provider, w.providerId, first],
      [chessProvider, otherProvider, second],
    ] as const) {
      const res = await h.app.inject({ method: "GET", url: `/providers/${providerId}/signals`, headers });
      expect(res.statusCode, res.body).toBe(200);
      const lessonId = own.json<{ lessonId: string }>().lessonId;
      expect(res.json()).toEqual([
        expect.objectContaining({ id: signal!.id, kind: "overlapping_lessons", childId: child.childId, lessonIds: [lessonId], otherProviders: 1, resolution: "dismissed" }),
      ]);
      expect(res.body).not.toContain(providerId === w.providerId ? otherProvider : w.providerId);
      expect(res.body).not.toContain("приказом");
      expect(res.body).not.toContain(lessonId === first.json<{ lessonId: string }>().lessonId ? second.json<{ lessonId: string }>().lessonId : first.json<{ lessonId: string }>().lessonId);
    }
    const otherOffice = await h.app.inject({ method: "GET", url: `/providers/${otherProvider}/signals`, headers: w.provider });
    expect(otherOffice.json()).toMatchObject({ code: "ATTENDANCE.NOT_YOUR_PROVIDER" });
    // Neither a provider nor another municipality's operator sees the list.
    expect((await h.app.inject({ method: "GET", url: `/municipalities/${w.municipalityId}/signals`, headers: w.provider })).json()).toMatchObject({ code: "AUTH.FORBIDDEN_ROLE" });
    const elsewhere = await h.as({ role: "operator", municipalityId: randomUUID() });
    expect((await h.app.inject({ method: "GET", url: `/municipalities/${w.municipalityId}/signals`, headers: elsewhere })).json()).toMatchObject({ code: "AUTH.OTHER_MUNICIPALITY" });
  });

  it("raises the overlap once when both lessons are marked at the same moment (one child's marks take turns)", async () => {
    h.clock.set("2026-09-01T00:00:00Z");
    const w = await world(h);
    const otherProvider = randomUUID();
    const a = await group(h, w);
    const b = await group(h, w, { providerId: otherProvider, slots: [{ weekday: 4, start: "15:30", end: "16:15" }] });
    const child = await enrolled(h, w, a);
    await enrolled(h, w, b, child.childId);
    h.clock.set("2026-09-03T06:00:00Z");
    const other = await h.as({ role: "provider", municipalityId: w.municipalityId, providerId: otherProvider });
    const answers = await Promise.all([
      mark(h, w, a, "2026-09-03T15:00", [{ childId: child.childId, status: "present" }]),
      mark(h, w, b, "2026-09-03T15:30", [{ childId: child.childId, status: "present" }], other),
    ]);
    expect(answers.map((r) => r.statusCode)).toEqual([200, 200]);
    expect(await signals(w.municipalityId, "overlapping_lessons")).toHaveLength(1);
  });

  it("raises marks outside the schedule, too many groups in a week, a month all present and a bulk of late marks", async () => {
    h.clock.set("2026-09-01T00:00:00Z");
    const w = await world(h);
    const groups: string[] = [];
    for (let i = 0; i < 5; i++) groups.push(await group(h, w, { slots: [{ weekday: 2, start: `${String(10 + i).padStart(2, "0")}:00`, end: `${String(10 + i).padStart(2, "0")}:45` }] }));
    const child = await enrolled(h, w, groups[0]!);
    for (const g of groups.slice(1)) await enrolled(h, w, g, child.childId);

    // Wednesday 2 September, 18:00: no lesson of the schedule.
    h.clock.set("2026-09-02T07:00:00Z");
    const outside = await mark(h, w, groups[0]!, "2026-09-02T18:00", [{ childId: child.childId, status: "present" }]);
    expect(outside.json()).toMatchObject({ onSchedule: false });
    expect(await signals(w.municipalityId, "outside_schedule")).toEqual([expect.objectContaining({ lessonIds: [outside.json<{ lessonId: string }>().lessonId] })]);

    // Five groups on Tuesday 8 September, the municipality allows four a week.
    h.clock.set("2026-09-08T06:00:00Z");
    for (const [i, g] of groups.entries()) await mark(h, w, g, `2026-09-08T${String(10 + i).padStart(2, "0")}:00`, [{ childId: child.childId, status: "present" }]);
    expect(await signals(w.municipalityId, "too_many_groups")).toEqual([expect.objectContaining({ childId: child.childId, evidence: expect.objectContaining({ groups: 5, allowed: 4 }) as unknown })]);

    // A group where everyone is present at every September lesson, entered in one sheet a month late.
    const full = await group(h, w);
    h.clock.set("2026-09-01T00:00:00Z");
    const kids: Child[] = [];
    for (let i = 0; i < 5; i++) kids.push(await enrolled(h, w, full));
    h.clock.set("2026-10-20T00:00:00Z");
    const dates = ["01", "03", "08", "10", "15", "17", "22", "24", "29"].map((d) => `2026-09-${d}`);
    const sheet = await h.app.inject({
      method: "PUT",
      url: `/groups/${full}/sheets/2026-09`,
      headers: w.provider,
      payload: { lessons: dates.map((date) => ({ date, start: "15:00", marks: kids.map((k) => ({ childId: k.childId, status: "present" })) })) },
    });
    expect(sheet.statusCode, sheet.body).toBe(200);
    expect(await signals(w.municipalityId, "all_present_month")).toEqual([expect.objectContaining({ groupIds: [full], evidence: { month: "2026-09", lessons: 9, marks: 45 } })]);
    expect(await signals(w.municipalityId, "bulk_late_entry")).toEqual([expect.objectContaining({ groupIds: [full], evidence: expect.objectContaining({ marks: 45, lessons: 9 }) as unknown })]);
  });

  it("given a signal, when the municipality resolves it, then it is announced without the reason, a retry changes nothing, and another outcome is refused", async () => {
    h.clock.set("2026-09-01T00:00:00Z");
    const w = await world(h);
    const robotics = await group(h, w); // Tue, Thu 15:00-16:30
    const child = await enrolled(h, w, robotics);
    h.clock.set("2026-09-02T09:00:00Z");
    expect((await mark(h, w, robotics, "2026-09-02T15:00", [{ childId: child.childId, status: "present" }])).statusCode).toBe(200);
    const [signal] = await signals(w.municipalityId, "outside_schedule");
    const municipality = await h.as({ role: "municipality", municipalityId: w.municipalityId });
    const resolve = (body: object, headers = municipality) =>
      h.app.inject({ method: "POST", url: `/municipalities/${w.municipalityId}/signals/${signal!.id}/resolution`, headers, payload: body });

    // Bad input and the wrong people change nothing.
    const noReason = await resolve({ outcome: "dismissed" });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json()).toMatchObject({ code: "HTTP.VALIDATION", invalidParams: [expect.objectContaining({ name: "body.reason" })] });
    const operator = await h.as({ role: "operator", municipalityId: w.municipalityId });
    expect((await resolve({ outcome: "dismissed", reason: "перенос занятия" }, operator)).json()).toMatchObject({ code: "AUTH.FORBIDDEN_ROLE" });
    expect((await resolve({ outcome: "dismissed", reason: "перенос занятия" }, w.provider)).json()).toMatchObject({ code: "AUTH.FORBIDDEN_ROLE" });
    const unknown = await h.app.inject({ method: "POST", url: `/municipalities/${w.municipalityId}/signals/${randomUUID()}/resolution`, headers: municipality, payload: { outcome: "confirmed", reason: "нет" + "т".repeat(3) } });
    expect(unknown.json()).toMatchObject({ code: "ATTENDANCE.SIGNAL_NOT_FOUND" });
    expect(await signals(w.municipalityId, "outside_schedule")).toEqual([expect.objectContaining({ resolution: null, resolvedAt: null })]);

    h.clock.set("2026-09-03T07:00:00Z");
    const resolved = await resolve({ outcome: "dismissed", reason: "Занятие перенесено приказом № 12 от 01.09" });
    expect(resolved.statusCode, resolved.body).toBe(200);
    expect(resolved.json()).toMatchObject({ id: signal!.id, resolution: "dismissed", resolutionReason: "Занятие перенесено приказом № 12 от 01.09", resolvedAt: "2026-09-03T07:00:00.000Z" });
    const announced = (await outboxEvents<Record<string, unknown>>(h.pool, "attendance.signal.resolved")).filter((e) => e.data.signalId === signal!.id);
    expect(announced.map((e) => e.data)).toEqual([{ signalId: signal!.id, kind: "outside_schedule", outcome: "dismissed", raisedAt: signal!.raisedAt, resolvedAt: "2026-09-03T07:00:00.000Z" }]);

    // The same answer again (a retried request): the same signal, nothing announced.
    expect((await resolve({ outcome: "dismissed", reason: "Занятие перенесено приказом № 12 от 01.09" })).statusCode).toBe(200);
    const changed = await resolve({ outcome: "confirmed", reason: "Передумали" });
    expect(changed.statusCode).toBe(409);
    expect(changed.json()).toMatchObject({ code: "ATTENDANCE.SIGNAL_RESOLVED" });
    expect((await outboxEvents(h.pool, "attendance.signal.resolved")).filter((e) => (e.data as { signalId: string }).signalId === signal!.id)).toHaveLength(1);

    // The lists of open and resolved signals.
    const operatorList = async (state: string) =>
      (await h.app.inject({ method: "GET", url: `/municipalities/${w.municipalityId}/signals?state=${state}`, headers: operator })).json<SignalView[]>().map((s) => s.id);
    expect(await operatorList("resolved")).toEqual([signal!.id]);
    expect(await operatorList("open")).not.toContain(signal!.id);
  });
});
