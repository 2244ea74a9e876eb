import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CertificateClosed } from "@kruzhok/contracts";
import { apply, child, enrollmentHarness, openGroup, outboxEvents, world, type EnrollmentHarness, type World, type ApplicationView, lifecycleCalls } from "./fixtures/enrollment";

describe("a certificate closed by the registry", () => {
  let h: EnrollmentHarness;
  let w: World;
  beforeAll(async () => {
    h = await enrollmentHarness("enr-certificate-closure");
    w = await world(h);
  });
  afterAll(async () => {
    await h.close();
  });

  const { get, enrollment, confirm, submit, enroll } = lifecycleCalls(() => ({ h, w }));

  it("ends the child's active enrollments as withdrawn, withdraws its applications and transfers, and offers the seats on", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const a = await openGroup(h, w, { capacity: 1 });
    const b = await openGroup(h, w, { capacity: 1, slots: [{ weekday: 3, start: "10:00", end: "11:00" }] });
    const c = await openGroup(h, w, { slots: [{ weekday: 4, start: "10:00", end: "11:00" }] });
    const d = await openGroup(h, w, { slots: [{ weekday: 5, start: "10:00", end: "11:00" }] });
    const k = await child(h, w);
    const sibling = await child(h, w);
    const inA = await enroll(k, a.groupId);
    const inB = await enroll(k, b.groupId);
    const siblingInC = await enroll(sibling, c.groupId);
    const applied = await submit(k, c.groupId);
    const transfer = await h.app.inject({ method: "POST", url: `/enrollments/${inA}/transfer`, headers: k.guardian, payload: { groupId: d.groupId } });
    expect(transfer.statusCode, transfer.body).toBe(201);
    const waiting = await child(h, w);
    const waitingId = await submit(waiting, a.groupId);
    await confirm(waitingId);
    expect(await get(waitingId, waiting.guardian)).toMatchObject({ status: "queued" });

    h.clock.set("2026-10-01T13:30:00Z");
    await h.deliver(CertificateClosed, { municipalityId: w.municipalityId, aggregateId: k.certificateId }, {
      certificateId: k.certificateId,
      number: "x",
      childId: k.childId,
      reason: "left_region",
    });

    for (const id of [inA, inB]) {
      const e = await enrollment(id, k.guardian);
      expect(e).toMatchObject({ status: "ended", endReason: "withdrawn" });
      expect(e.contract.terminatedAt).toBe("2026-10-01T13:30:00.000Z");
    }
    const ended = await outboxEvents<{ enrollmentId: string; reason: string; childId: string }>(h.pool, "enrollment.enrollment.ended");
    expect(ended.filter((e) => e.data.childId === k.childId).map((e) => [e.data.enrollmentId, e.data.reason]).sort()).toEqual([[inA, "withdrawn"], [inB, "withdrawn"]].sort());
    const told = await outboxEvents<{ enrollmentId: string; guardianId: string; endedOn: string }>(h.pool, "enrollment.notification.enrollment-ended");
    expect(told.filter((n) => n.data.guardianId === k.guardianId).map((n) => n.data.enrollmentId).sort()).toEqual([inA, inB].sort());
    expect(told.find((n) => n.data.enrollmentId === inA)?.data.endedOn).toBe("2026-10-02");

    // Its applications (the transfer too) are withdrawn; the seat in A goes to the next in line.
    expect(await get(applied, k.guardian)).toMatchObject({ status: "withdrawn" });
    expect(await get(transfer.json<ApplicationView>().id, k.guardian)).toMatchObject({ status: "withdrawn" });
    const withdrawn = await outboxEvents<{ childId: string; reason: string }>(h.pool, "enrollment.application.withdrawn");
    expect(withdrawn.filter((e) => e.data.childId === k.childId).map((e) => e.data.reason)).toEqual(["certificate_closed", "certificate_closed"]);
    expect(await get(waitingId, waiting.guardian)).toMatchObject({ status: "offered" });

    // Another child is untouched; the closed certificate cannot apply again.
    expect(await enrollment(siblingInC, sibling.guardian)).toMatchObject({ status: "active" });
    expect((await apply(h, k.guardian, k.childId, d.groupId)).json()).toMatchObject({ code: "ENROLLMENT.CERTIFICATE_MISSING" });
  });
});
