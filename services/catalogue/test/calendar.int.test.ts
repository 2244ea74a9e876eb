import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepCalendar } from "../src/usecases/lifecycle";
import { catalogueHarness, createGroup, createProgram, outboxEvents, publish, world, type CatalogueHarness, type World } from "./fixtures/catalogue";

// Groups end and certifications run out by the calendar, each in the municipality's zone
// (Kamchatka: UTC+12, so its midnight is noon UTC the day before).
describe("what ends by the calendar", () => {
  let h: CatalogueHarness;
  let w: World;
  beforeAll(async () => {
    h = await catalogueHarness("cat-calendar");
    w = await world(h);
  });
  afterAll(async () => {
    await h.close();
  });

  const sweepAt = (iso: string) => sweepCalendar({ pool: h.pool, clock: () => new Date(iso), searchCache: h.searchCache });
  const searchAt = async (iso: string, programId: string) => {
    h.clock.set(iso);
    const res = await h.app.inject({ method: "GET", url: `/search?municipalityId=${w.municipalityId}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ items: { id: string; openGroups: number; acceptingApplications: boolean; certification: { expiry: string } | null }[] }>().items.find((i) => i.id === programId);
  };

  it("closes a group at the end of its last day, local: out of search and announced, so that its enrollments complete", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const programId = await createProgram(h, w, { title: "Летняя школа робототехники" });
    const groupId = await createGroup(h, w, programId, { startsOn: "2026-09-02", endsOn: "2026-09-10", exceptions: [] });
    await publish(h, w, programId);
    expect(await searchAt("2026-09-05T00:00:00Z", programId)).toMatchObject({ openGroups: 1 });

    // 10 September 23:59 in Kamchatka: its last day is not over.
    expect((await sweepAt("2026-09-10T11:59:00Z")).groupsClosed).toBe(0);
    // 11 September 00:00 in Kamchatka (still the 10th in UTC): closed.
    expect((await sweepAt("2026-09-10T12:00:00Z")).groupsClosed).toBe(1);
    const closed = (await outboxEvents<{ groupId: string; reason: string }>(h.pool, "catalogue.group.closed")).filter((e) => e.data.groupId === groupId);
    expect(closed).toMatchObject([{ data: { reason: "closed" } }]);
    expect(await searchAt("2026-09-10T12:05:00Z", programId)).toMatchObject({ openGroups: 0 });
    const groups = await h.app.inject({ method: "GET", url: `/programs/${programId}/groups` });
    expect(groups.json<{ id: string; acceptingApplications: boolean }[]>().find((g) => g.id === groupId)?.acceptingApplications ?? false).toBe(false);
    expect((await sweepAt("2026-09-20T12:00:00Z")).groupsClosed).toBe(0);
  });

  it("warns the provider 30 days before its certification's last day, once, shows the badge and its expiry, and takes no applications from the day after", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const programId = await createProgram(h, w, { title: "Шахматная школа", certification: { number: "НОК-41-2026-099", date: "2025-10-16", expiry: "2026-10-15" } });
    await createGroup(h, w, programId, { startsOn: "2026-09-15", endsOn: "2027-05-31" });
    await publish(h, w, programId);
    const warnings = async () => (await outboxEvents<{ programId: string; expiresOn: string; daysLeft: number }>(h.pool, "catalogue.program.certification-expiring")).filter((e) => e.data.programId === programId);

    // 14 September 23:59 local: 31 days to go.
    await sweepAt("2026-09-14T11:59:00Z");
    expect(await warnings()).toEqual([]);
    await sweepAt("2026-09-14T12:00:00Z");
    expect(await warnings()).toMatchObject([{ data: { providerId: w.providerId, expiresOn: "2026-10-15", daysLeft: 30 } }]);
    await sweepAt("2026-09-30T12:00:00Z");
    expect(await warnings()).toHaveLength(1);

    // Its last day, 23:59 local: in search with the badge, taking applications; the next local midnight: not.
    expect(await searchAt("2026-10-15T11:59:00Z", programId)).toMatchObject({ acceptingApplications: true, certification: { expiry: "2026-10-15" } });
    expect(await searchAt("2026-10-15T12:00:00Z", programId)).toMatchObject({ acceptingApplications: false, certification: { expiry: "2026-10-15" } });
  });
});
