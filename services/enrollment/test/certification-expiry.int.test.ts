import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CertificateFinanced, GroupOpened } from "@kruzhok/contracts";
import { apply, child, counts, enrollmentHarness, groupData, lifecycleCalls, world, type ApplicationView, type Child, type EnrollmentHarness, type World } from "./fixtures/enrollment";

// A financed program's certification has a last day (Kamchatka: its midnight is noon UTC the day
// before). Through it the group takes certificate applications; from the next local midnight it
// takes none, offers no seat and signs no contract, until the provider renews it.
describe("a group whose program's certification ran out", () => {
  let h: EnrollmentHarness;
  let w: World;
  beforeAll(async () => {
    h = await enrollmentHarness("enr-certification-expiry");
    w = await world(h, { providerReviewWorkingDays: 20 });
  });
  afterAll(async () => {
    await h.close();
  });
  const { confirm } = lifecycleCalls(() => ({ h, w }));

  const financedChild = async (): Promise<Child> => {
    const k = await child(h, w);
    await h.deliver(CertificateFinanced, { municipalityId: w.municipalityId, aggregateId: k.certificateId }, {
      certificateId: k.certificateId,
      number: `41-${k.certificateId.slice(0, 8)}`,
      childId: k.childId,
      year: 2026,
      nominal: 1_500_000,
      currency: "RUB",
      requestId: null,
    });
    return k;
  };

  it("takes applications through its last day, local, and from the next midnight refuses applications, offers and contracts, writing nothing", async () => {
    h.clock.set("2026-09-20T09:00:00Z");
    const groupId = crypto.randomUUID();
    await h.deliver(GroupOpened, { municipalityId: w.municipalityId, aggregateId: groupId }, { ...groupData(w, groupId, { fundingKind: "financed", capacity: 5 }), certificationExpiresOn: "2026-09-20" });
    const offered = await financedChild();
    const waiting = await financedChild();
    const late = await financedChild();

    // 20 September 21:00 in Kamchatka: in force.
    const first = await apply(h, offered.guardian, offered.childId, groupId);
    expect(first.statusCode, first.body).toBe(201);
    const firstOffer = (await confirm(first.json<ApplicationView>().id)).json<ApplicationView>();
    expect(firstOffer.status).toBe("offered");
    const second = await apply(h, waiting.guardian, waiting.childId, groupId);
    expect(second.statusCode, second.body).toBe(201);

    // 21 September 00:00 in Kamchatka (still the 20th in UTC): ran out.
    h.clock.set("2026-09-20T12:00:00Z");
    const before = await counts(h.pool);
    const refused = await apply(h, late.guardian, late.childId, groupId);
    expect(refused.json()).toMatchObject({ code: "ENROLLMENT.CERTIFICATION_EXPIRED", invalidParams: [{ name: "body.groupId" }] });
    expect(refused.json<{ detail: string }>().detail).toContain("2026-09-20");
    const accepted = await h.app.inject({ method: "POST", url: `/offers/${firstOffer.offers[0]!.id}/acceptance`, headers: offered.guardian, payload: {} });
    expect(accepted.json()).toMatchObject({ code: "ENROLLMENT.CERTIFICATION_EXPIRED" });
    expect(await counts(h.pool)).toEqual(before);
    // Confirmed now, the waiting child gets no offer: no contract could follow it.
    const reviewed = await confirm(second.json<ApplicationView>().id);
    expect(reviewed.json<ApplicationView>()).toMatchObject({ status: "queued", offers: [] });
  });
});
