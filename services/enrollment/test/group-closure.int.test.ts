import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GroupClosed } from "@kruzhok/contracts";
import { sweep } from "../src/usecases/sweeps";
import { apply, child, enrollmentHarness, openGroup, outboxEvents, world, type EnrollmentHarness, type World, type ApplicationView, lifecycleCalls } from "./fixtures/enrollment";

describe("a group closed by the catalogue", () => {
  let h: EnrollmentHarness;
  let w: World;
  beforeAll(async () => {
    h = await enrollmentHarness("enr-group-closure");
    w = await world(h);
  });
  afterAll(async () => {
    await h.close();
  });

  const { get, enrollment, confirm, submit, enroll } = lifecycleCalls(() => ({ h, w }));
  const close = (g: { groupId: string; programId: string }, reason: "closed" | "program_withdrawn" = "closed") =>
    h.deliver(GroupClosed, { municipalityId: w.municipalityId, aggregateId: g.groupId }, { groupId: g.groupId, programId: g.programId, providerId: w.providerId, reason });

  it("withdraws its open applications, lapses its offers, tells the families, and keeps enrolled children until its end date", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const group = await openGroup(h, w, { capacity: 2 });
    const enrolled = await child(h, w);
    const offered = await child(h, w);
    const waiting = await child(h, w);
    const enrollmentId = await enroll(enrolled, group.groupId);
    const offeredId = await submit(offered, group.groupId);
    expect((await confirm(offeredId)).json()).toMatchObject({ status: "offered" });
    const waitingId = await submit(waiting, group.groupId);
    // A child enrolled elsewhere asked to transfer into this group: that enrollment must go on.
    const elsewhere = await openGroup(h, w, { slots: [{ weekday: 4, start: "10:00", end: "11:00" }] });
    const mover = await child(h, w);
    const moverEnrollment = await enroll(mover, elsewhere.groupId);
    const transfer = await h.app.inject({ method: "POST", url: `/enrollments/${moverEnrollment}/transfer`, headers: mover.guardian, payload: { groupId: group.groupId } });
    expect(transfer.statusCode, transfer.body).toBe(201);
    const transferId = transfer.json<ApplicationView>().id;

    await close(group);

    const offer = await get(offeredId, offered.guardian);
    expect(offer).toMatchObject({ status: "withdrawn" });
    expect(offer.offers[0]).toMatchObject({ status: "declined" });
    expect(await get(waitingId, waiting.guardian)).toMatchObject({ status: "withdrawn" });
    expect(await get(transferId, mover.guardian)).toMatchObject({ status: "withdrawn" });
    expect(await enrollment(moverEnrollment, mover.guardian)).toMatchObject({ status: "active" });
    const withdrawn = await outboxEvents<{ applicationId: string; reason: string }>(h.pool, "enrollment.application.withdrawn");
    expect(withdrawn.filter((e) => e.data.reason === "group_closed").map((e) => e.data.applicationId).sort()).toEqual([offeredId, waitingId, transferId].sort());
    const lapsed = await outboxEvents<{ applicationId: string; reason: string; offerId: string }>(h.pool, "enrollment.offer.lapsed");
    expect(lapsed.filter((e) => e.data.applicationId === offeredId).map((e) => e.data)).toEqual([expect.objectContaining({ offerId: offer.offers[0]!.id, reason: "declined" })]);
    const refused = await outboxEvents<{ applicationId: string; reason: string; guardianId: string }>(h.pool, "enrollment.notification.application-refused");
    expect(refused.filter((n) => n.data.reason === "ENROLLMENT.GROUP_CLOSED").map((n) => n.data.guardianId).sort()).toEqual(
      [offered.guardianId, waiting.guardianId, mover.guardianId].sort(),
    );
    // Nobody is offered the seat freed, and the queue in Redis is empty like Postgres's.
    const { rows } = await h.pool.query("SELECT 1 FROM offers WHERE group_id = $1 AND status = 'open'", [group.groupId]);
    expect(rows).toHaveLength(0);
    await h.sync();
    expect(await h.queues.members(group.groupId)).toEqual([]);
    expect((await apply(h, waiting.guardian, waiting.childId, group.groupId)).json()).toMatchObject({ code: "ENROLLMENT.GROUP_NOT_ACCEPTING" });

    // The enrolled child keeps the seat until the end of 31 May 2027 in Kamchatka; then it completes.
    expect(await enrollment(enrollmentId, enrolled.guardian)).toMatchObject({ status: "active" });
    await sweep(h.pool, new Date("2027-05-31T11:59:59Z"));
    expect(await enrollment(enrollmentId, enrolled.guardian)).toMatchObject({ status: "active" });
    expect((await sweep(h.pool, new Date("2027-05-31T12:00:00Z"))).completedEnrollments).toBeGreaterThanOrEqual(1);
    expect(await enrollment(enrollmentId, enrolled.guardian)).toMatchObject({ status: "ended", endReason: "completed" });
    const ended = await outboxEvents<{ enrollmentId: string; reason: string }>(h.pool, "enrollment.enrollment.ended");
    expect(ended.filter((e) => e.data.enrollmentId === enrollmentId).map((e) => e.data.reason)).toEqual(["completed"]);
    const told = await outboxEvents<{ enrollmentId: string; reason: string; endedOn: string }>(h.pool, "enrollment.notification.enrollment-ended");
    expect(told.filter((n) => n.data.enrollmentId === enrollmentId).map((n) => n.data)).toEqual([expect.objectContaining({ reason: "completed", endedOn: "2027-06-01" })]);
    // The mover's group is open: its enrollment is not touched by the sweep.
    expect(await enrollment(moverEnrollment, mover.guardian)).toMatchObject({ status: "active" });
  });

  it("completes the enrollments at once when the group closes after its end date", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const group = await openGroup(h, w, { capacity: 1 });
    const k = await child(h, w);
    const enrollmentId = await enroll(k, group.groupId);
    h.clock.set("2027-06-02T00:00:00Z");
    await close(group, "program_withdrawn");
    expect(await enrollment(enrollmentId, k.guardian)).toMatchObject({ status: "ended", endReason: "completed" });
  });
});
