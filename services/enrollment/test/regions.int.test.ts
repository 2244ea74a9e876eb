import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { child, enrollmentHarness, lifecycleCalls, openGroup, world, type EnrollmentHarness, type World } from "./fixtures/enrollment";

// A region official reaches its own region's municipalities only (issue 12): its sweep, its queue
// rebuilds and checks, its campaigns. Kamchatka is region 41, Komi region 11.

describe("a region official's reach in enrollment", () => {
  let h: EnrollmentHarness;
  let kamchatka: World;
  let komi: World;
  beforeAll(async () => {
    h = await enrollmentHarness("enr-regions");
    kamchatka = await world(h);
    komi = await world(h, { regionCode: "11", timeZone: "Europe/Moscow" });
  });
  afterAll(async () => h?.close());

  let current: World;
  const { submit, confirm } = lifecycleCalls(() => ({ h, w: current }));

  /** A child of `w` offered the only seat of a new group; returns the offer's id. */
  async function offered(w: World): Promise<string> {
    current = w;
    const { groupId } = await openGroup(h, w, { capacity: 1 });
    const k = await child(h, w);
    const reviewed = await confirm(await submit(k, groupId));
    return reviewed.json<{ offers: { id: string }[] }>().offers[0]!.id;
  }
  const offerStatus = async (w: World, offerId: string) =>
    (await h.app.inject({ method: "GET", url: `/offers/${offerId}`, headers: w.operator })).json<{ status: string }>().status;
  const sweepAs = async (w: World) => (await h.app.inject({ method: "POST", url: "/maintenance/sweep", headers: w.region })).json<{ expiredOffers: number }>();

  it("given offers past their deadline in two regions, when one region's official sweeps, then only its own region's offers expire", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const inKamchatka = await offered(kamchatka);
    const inKomi = await offered(komi);
    try {
      h.clock.set("2026-09-20T09:00:00Z");
      expect(await sweepAs(komi)).toMatchObject({ expiredOffers: 1 });
      expect([await offerStatus(kamchatka, inKamchatka), await offerStatus(komi, inKomi)]).toEqual(["open", "expired"]);
      expect(await sweepAs(kamchatka)).toMatchObject({ expiredOffers: 1 });
      expect(await offerStatus(kamchatka, inKamchatka)).toBe("expired");
    } finally {
      h.clock.set("2026-09-01T09:00:00Z");
    }
  });

  it("rebuilds and checks its own region's queues, all of them or one municipality's, and no other region's", async () => {
    const groupsOf = async (w: World) => (await h.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM groups WHERE municipality_id = $1", [w.municipalityId])).rows[0]!.n;
    const rebuilt = await h.app.inject({ method: "POST", url: "/queues/rebuild", headers: komi.region });
    expect(rebuilt.json()).toMatchObject({ groups: await groupsOf(komi) });
    const checked = await h.app.inject({ method: "GET", url: "/queues/check", headers: kamchatka.region });
    expect(checked.json()).toMatchObject({ groups: await groupsOf(kamchatka), mismatches: [] });
    const elsewhere = await h.app.inject({ method: "POST", url: `/queues/rebuild?municipalityId=${kamchatka.municipalityId}`, headers: komi.region });
    expect(elsewhere.json()).toMatchObject({ status: 403, code: "AUTH.OTHER_REGION", invalidParams: [{ name: "query.municipalityId" }] });
  });

  it("announces a campaign in its own region only", async () => {
    const { groupId } = await openGroup(h, kamchatka, { capacity: 3, slots: [{ weekday: 3, start: "10:00", end: "11:00" }] });
    const payload = { municipalityId: kamchatka.municipalityId, name: "Чужой набор", groupIds: [groupId], maxChoices: 1, opensAt: "2026-09-02T00:00:00Z", closesAt: "2026-09-09T00:00:00Z" };
    const foreign = await h.app.inject({ method: "POST", url: "/campaigns", headers: komi.region, payload });
    expect(foreign.json()).toMatchObject({ status: 403, code: "AUTH.OTHER_REGION", invalidParams: [{ name: "body.municipalityId" }] });
    expect((await h.pool.query("SELECT count(*)::int AS n FROM campaigns")).rows).toEqual([{ n: 0 }]);
    const own = await h.app.inject({ method: "POST", url: "/campaigns", headers: kamchatka.region, payload });
    expect(own.statusCode, own.body).toBe(201);
  });
});
