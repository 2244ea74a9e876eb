import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweep } from "../src/usecases/sweeps";
import { apply, child, counts, enrollmentHarness, openGroup, outboxEvents, world, type Auth, type EnrollmentHarness, type World, type ApplicationView, lifecycleCalls } from "./fixtures/enrollment";

describe("transfers: the child moves to another group without applying again", () => {
  let h: EnrollmentHarness;
  let w: World;
  beforeAll(async () => {
    h = await enrollmentHarness("enr-transfers");
    w = await world(h, { maxOpenApplications: 2 });
  });
  afterAll(async () => {
    await h.close();
  });

  const { get, enrollment, confirm, enroll } = lifecycleCalls(() => ({ h, w }));
  const transfer = (enrollmentId: string, who: Auth, groupId: string) =>
    h.app.inject({ method: "POST", url: `/enrollments/${enrollmentId}/transfer`, headers: who, payload: { groupId } });

  it("queues a transfer into the same program and hours; the old enrollment runs through the day before the new group starts, then ends as withdrawn", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const slots = [{ weekday: 2, start: "15:00", end: "16:30" }];
    const from = await openGroup(h, w, { capacity: 1, slots });
    const to = await openGroup(h, w, { capacity: 1, slots, programId: from.programId });
    const k = await child(h, w);
    const oldEnrollment = await enroll(k, from.groupId);
    // Someone waits for a seat in the group left, confirmed already.
    const waiting = await child(h, w);
    const waitingId = (await apply(h, waiting.guardian, waiting.childId, from.groupId)).json<ApplicationView>().id;
    await confirm(waitingId);
    // As a plain application the same program (and the same hours) is refused.
    expect((await apply(h, k.guardian, k.childId, to.groupId)).json()).toMatchObject({ code: "ENROLLMENT.ALREADY_ENROLLED_IN_PROGRAM" });

    const res = await transfer(oldEnrollment, k.guardian, to.groupId);
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json<ApplicationView>();
    expect(res.headers.location).toBe(`/applications/${created.id}`);
    expect(created).toMatchObject({ status: "queued", review: "pending", transferOf: oldEnrollment, childId: k.childId, groupId: to.groupId, submittedBy: "guardian" });
    const submitted = await outboxEvents<{ applicationId: string; childId: string }>(h.pool, "enrollment.application.submitted");
    expect(submitted.at(-1)?.data).toMatchObject({ applicationId: created.id, childId: k.childId });
    // It waits in the queue as any other; the old enrollment goes on meanwhile.
    expect((await h.app.inject({ method: "GET", url: `/applications/${created.id}/position`, headers: k.guardian })).json()).toMatchObject({ position: 1, total: 1 });
    expect(await enrollment(oldEnrollment, k.guardian)).toMatchObject({ status: "active" });

    const offer = (await confirm(created.id)).json<ApplicationView>().offers[0]!;
    expect(await enrollment(oldEnrollment, k.guardian)).toMatchObject({ status: "active" });
    const accepted = await h.app.inject({ method: "POST", url: `/offers/${offer.id}/acceptance`, headers: k.guardian, payload: {} });
    expect(accepted.statusCode, accepted.body).toBe(201);
    const newEnrollment = accepted.json<{ id: string }>().id;
    expect(accepted.json()).toMatchObject({ status: "active", groupId: to.groupId, childId: k.childId });

    // The new group starts on 15 September: the child keeps learning in the old one through the 14th,
    // and every status says so.
    expect(await enrollment(oldEnrollment, k.guardian)).toMatchObject({ status: "active", leavesOn: "2026-09-14", leftFor: newEnrollment });
    const oldApplication = (await h.pool.query<{ application_id: string }>("SELECT application_id FROM enrollments WHERE id = $1", [oldEnrollment])).rows[0]!.application_id;
    expect(await get(oldApplication, k.guardian)).toMatchObject({ status: "enrolled", enrollment: { id: oldEnrollment, status: "active", leavesOn: "2026-09-14" } });
    expect(await get(waitingId, waiting.guardian)).toMatchObject({ status: "queued" });
    // 14 September 23:59 in Kamchatka: still learning there; the next local midnight, it has left.
    expect((await sweep(h.pool, new Date("2026-09-14T11:59:00Z"))).leftEnrollments).toBe(0);
    expect((await sweep(h.pool, new Date("2026-09-14T12:00:00Z"))).leftEnrollments).toBe(1);
    expect(await get(oldApplication, k.guardian)).toMatchObject({ status: "enrolled", enrollment: { status: "ended", endReason: "withdrawn" } });

    // Withdrawn, contract terminated, the seat freed and offered on.
    expect(await enrollment(oldEnrollment, k.guardian)).toMatchObject({ status: "ended", endReason: "withdrawn" });
    expect((await enrollment(oldEnrollment, k.guardian)).contract.terminatedAt).not.toBeNull();
    const ended = await outboxEvents<{ enrollmentId: string; reason: string; groupId: string }>(h.pool, "enrollment.enrollment.ended");
    expect(ended.filter((e) => e.data.enrollmentId === oldEnrollment).map((e) => e.data)).toEqual([
      { enrollmentId: oldEnrollment, groupId: from.groupId, programId: from.programId, childId: k.childId, reason: "withdrawn" },
    ]);
    const started = await outboxEvents<{ enrollmentId: string }>(h.pool, "enrollment.enrollment.started");
    expect(started.map((e) => e.data.enrollmentId)).toContain(newEnrollment);
    const { rows } = await h.pool.query<{ id: string }>("SELECT id FROM enrollments WHERE child_id = $1 AND status = 'active'", [k.childId]);
    expect(rows.map((r) => r.id)).toEqual([newEnrollment]);
    expect(await get(waitingId, waiting.guardian)).toMatchObject({ status: "offered" });
    expect((await h.app.inject({ method: "POST", url: `/enrollments/${oldEnrollment}/transfer`, headers: k.guardian, payload: { groupId: from.groupId } })).json()).toMatchObject({
      code: "ENROLLMENT.ENROLLMENT_NOT_ACTIVE",
    });
  });

  it("ends the old enrollment at once when the family asks, or when the new group has started already", async () => {
    const slots = [{ weekday: 3, start: "12:00", end: "13:00" }];
    const moveNow = async (at: string, body: Record<string, unknown>) => {
      h.clock.set(at);
      const from = await openGroup(h, w, { capacity: 1, slots });
      const to = await openGroup(h, w, { capacity: 1, slots, programId: from.programId });
      const k = await child(h, w);
      const oldEnrollment = await enroll(k, from.groupId);
      const created = (await transfer(oldEnrollment, k.guardian, to.groupId)).json<ApplicationView>();
      const offer = (await confirm(created.id)).json<ApplicationView>().offers[0]!;
      const accepted = await h.app.inject({ method: "POST", url: `/offers/${offer.id}/acceptance`, headers: k.guardian, payload: body });
      expect(accepted.statusCode, accepted.body).toBe(201);
      return enrollment(oldEnrollment, k.guardian);
    };
    expect(await moveNow("2026-09-01T09:00:00Z", { leaveNow: true })).toMatchObject({ status: "ended", endReason: "withdrawn", leavesOn: null });
    // The new group started on 15 September: there is nothing to bridge.
    expect(await moveNow("2026-09-20T09:00:00Z", {})).toMatchObject({ status: "ended", endReason: "withdrawn" });
  });

  it("keeps the old enrollment when the transfer is withdrawn, its offer declined or left to expire", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const from = await openGroup(h, w, { capacity: 1 });
    const to = await openGroup(h, w, { capacity: 1, slots: [{ weekday: 4, start: "10:00", end: "11:00" }] });
    const k = await child(h, w);
    const enrollmentId = await enroll(k, from.groupId);

    // Withdrawn while waiting.
    const first = (await transfer(enrollmentId, k.guardian, to.groupId)).json<ApplicationView>();
    const withdrawn = await h.app.inject({ method: "POST", url: `/applications/${first.id}/withdrawal`, headers: k.guardian });
    expect(withdrawn.json()).toMatchObject({ status: "withdrawn" });
    expect(await enrollment(enrollmentId, k.guardian)).toMatchObject({ status: "active" });

    // Declined.
    const second = (await transfer(enrollmentId, k.guardian, to.groupId)).json<ApplicationView>();
    const offer = (await confirm(second.id)).json<ApplicationView>().offers[0]!;
    expect((await h.app.inject({ method: "POST", url: `/offers/${offer.id}/decline`, headers: k.guardian })).json()).toMatchObject({ status: "declined" });
    expect(await enrollment(enrollmentId, k.guardian)).toMatchObject({ status: "active" });

    // Expired at its deadline (the end of 4 September in Kamchatka).
    const third = (await transfer(enrollmentId, k.guardian, to.groupId)).json<ApplicationView>();
    expect((await confirm(third.id)).json()).toMatchObject({ status: "offered" });
    await sweep(h.pool, new Date("2026-09-04T12:00:00Z"));
    expect(await get(third.id, k.guardian)).toMatchObject({ status: "expired" });
    expect(await enrollment(enrollmentId, k.guardian)).toMatchObject({ status: "active", endReason: null });
    const ended = await outboxEvents<{ enrollmentId: string }>(h.pool, "enrollment.enrollment.ended");
    expect(ended.filter((e) => e.data.enrollmentId === enrollmentId)).toHaveLength(0);
  });

  it("refuses a transfer with a problem that says why, and writes nothing", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const from = await openGroup(h, w, { capacity: 2 });
    const to = await openGroup(h, w, { slots: [{ weekday: 5, start: "10:00", end: "11:00" }] });
    const clash = await openGroup(h, w, { slots: [{ weekday: 5, start: "10:30", end: "11:30" }] });
    const k = await child(h, w);
    const stranger = await child(h, w);
    const enrollmentId = await enroll(k, from.groupId);
    const other = await world(h);
    const otherOperator = other.operator;

    const before = await counts(h.pool);
    const cases: [string, Awaited<ReturnType<typeof transfer>>, number, string][] = [
      ["schema", await h.app.inject({ method: "POST", url: `/enrollments/${enrollmentId}/transfer`, headers: k.guardian, payload: { groupId: "x", extra: 1 } }), 400, "HTTP.VALIDATION"],
      ["provider role", await transfer(enrollmentId, w.provider, to.groupId), 403, "AUTH.FORBIDDEN_ROLE"],
      ["unknown enrollment", await transfer(randomUUID(), k.guardian, to.groupId), 404, "ENROLLMENT.ENROLLMENT_NOT_FOUND"],
      ["another family", await transfer(enrollmentId, stranger.guardian, to.groupId), 403, "ENROLLMENT.NOT_YOUR_CHILD"],
      ["other tenant", await transfer(enrollmentId, otherOperator, to.groupId), 403, "AUTH.OTHER_MUNICIPALITY"],
      ["unknown group", await transfer(enrollmentId, k.guardian, randomUUID()), 404, "ENROLLMENT.GROUP_NOT_FOUND"],
      ["the same group", await transfer(enrollmentId, k.guardian, from.groupId), 422, "ENROLLMENT.TRANSFER_SAME_GROUP"],
    ];
    for (const [what, res, status, code] of cases) {
      expect(res.statusCode, `${what}: ${res.body}`).toBe(status);
      expect(res.json<{ code: string }>().code, what).toBe(code);
    }
    expect(await counts(h.pool)).toEqual(before);

    // One open transfer per enrollment; an operator may file it for the family (the enrollment's guardian is kept).
    const byOperator = await transfer(enrollmentId, w.operator, to.groupId);
    expect(byOperator.statusCode, byOperator.body).toBe(201);
    expect(byOperator.json()).toMatchObject({ submittedBy: "operator", transferOf: enrollmentId });
    expect((await h.pool.query("SELECT guardian_id FROM applications WHERE id = $1", [byOperator.json<ApplicationView>().id])).rows[0]).toEqual({ guardian_id: k.guardianId });
    expect((await transfer(enrollmentId, k.guardian, clash.groupId)).json()).toMatchObject({ code: "ENROLLMENT.TRANSFER_PENDING", status: 409 });

    // The cap (2 here) counts transfers as any application; the other rules still hold against other enrollments.
    const second = await openGroup(h, w, { slots: [{ weekday: 6, start: "10:00", end: "11:00" }] });
    expect((await apply(h, k.guardian, k.childId, second.groupId)).statusCode).toBe(201);
    const withdrawnTransfer = await h.app.inject({ method: "POST", url: `/applications/${byOperator.json<ApplicationView>().id}/withdrawal`, headers: k.guardian });
    expect(withdrawnTransfer.statusCode).toBe(200);
    const third = await openGroup(h, w, { slots: [{ weekday: 7, start: "10:00", end: "11:00" }] });
    expect((await apply(h, k.guardian, k.childId, third.groupId)).statusCode).toBe(201);
    expect((await transfer(enrollmentId, k.guardian, to.groupId)).json()).toMatchObject({ code: "ENROLLMENT.TOO_MANY_OPEN_APPLICATIONS" });
  });
});
