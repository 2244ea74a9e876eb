import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CertificateFinanced } from "@kruzhok/contracts";
import { apply, child, enrollmentHarness, lifecycleCalls, openGroup, outboxEvents, world, type ApplicationView, type Child, type EnrollmentHarness, type World } from "./fixtures/enrollment";

// A child whose certificate waits for financing (the budget or the cap is taken) keeps its place
// in the queue but holds no seat: a free seat goes to the next child ready for it, and the family
// is told why and what happens next. Before, the waiting child at the head held every seat.
describe("a financing request that waits does not block the group", () => {
  let h: EnrollmentHarness;
  let w: World;
  beforeAll(async () => {
    h = await enrollmentHarness("enr-financing-waits");
    w = await world(h, { providerReviewWorkingDays: 20 });
  });
  afterAll(async () => {
    await h.close();
  });
  const { confirm } = lifecycleCalls(() => ({ h, w }));

  const financed = (k: Child, requestId: string | null) =>
    h.deliver(CertificateFinanced, { municipalityId: w.municipalityId, aggregateId: k.certificateId }, {
      certificateId: k.certificateId, number: "x", childId: k.childId, year: 2026, nominal: 1_500_000, currency: "RUB", requestId,
    });

  it("offers the seat to the next child ready for it, tells the waiting family once, and keeps the waiting child's place for the next seat", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const { groupId } = await openGroup(h, w, { fundingKind: "financed", capacity: 1 });
    const waiting = await child(h, w);
    const ready = await child(h, w);
    const later = await child(h, w);
    await financed(ready, null);
    await financed(later, null);

    const first = await apply(h, waiting.guardian, waiting.childId, groupId);
    expect(first.json()).toMatchObject({ status: "awaiting_financing" });
    const waitingId = first.json<ApplicationView>().id;
    const readyId = (await apply(h, ready.guardian, ready.childId, groupId)).json<ApplicationView>().id;
    const laterId = (await apply(h, later.guardian, later.childId, groupId)).json<ApplicationView>().id;

    // The provider confirms the second child: the seat is offered, though the first waits ahead.
    expect((await confirm(readyId)).json<ApplicationView>()).toMatchObject({ status: "offered" });
    const told = async () =>
      (await outboxEvents<{ applicationId: string; guardianId: string }>(h.pool, "enrollment.notification.seat-passed-while-financing")).filter((e) => e.data.applicationId === waitingId);
    expect(await told()).toMatchObject([{ data: { guardianId: waiting.guardianId } }]);

    // The offer declined, the seat goes on to the third: the waiting family is not told twice.
    const offerId = (await h.app.inject({ method: "GET", url: `/applications/${readyId}`, headers: ready.guardian })).json<ApplicationView>().offers[0]!.id;
    await confirm(laterId);
    const declined = await h.app.inject({ method: "POST", url: `/offers/${offerId}/decline`, headers: ready.guardian, payload: {} });
    expect(declined.statusCode, declined.body).toBeLessThan(300);
    expect((await h.app.inject({ method: "GET", url: `/applications/${laterId}`, headers: later.guardian })).json()).toMatchObject({ status: "offered" });
    expect(await told()).toHaveLength(1);

    // Financed at last, the waiting child is at the head of the queue for the next seat.
    await financed(waiting, waitingId);
    await h.sync();
    const position = await h.app.inject({ method: "GET", url: `/applications/${waitingId}/position`, headers: waiting.guardian });
    expect(position.json()).toMatchObject({ position: 1 });
  });
});
