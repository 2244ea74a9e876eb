import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { announceYearSettings } from "../src/usecases/municipalities";
import { createMunicipality, issuedCertificate, office, outboxEvents, registryHarness, yearSettings, type RegistryHarness } from "./fixtures/registry";

// Issue #18: a year's settings take effect from a date and every version is kept. The harness's
// clock stands at 2026-09-01T09:00Z (21:00 in Kamchatka, still 1 September there).
describe("a year's settings from a date, with their history", () => {
  let h: RegistryHarness;
  beforeAll(async () => {
    h = await registryHarness("reg-year-history");
  });
  afterAll(async () => {
    await h.close();
  });

  const put = async (id: string, year: number, payload: Record<string, unknown>) =>
    h.app.inject({ method: "PUT", url: `/municipalities/${id}/years/${year}`, headers: await h.as({ role: "municipality", municipalityId: id }), payload });
  const read = (id: string, year: number, on?: string) =>
    h.app.inject({ method: "GET", url: `/municipalities/${id}/years/${year}${on ? `?on=${on}` : ""}` });

  it("keeps every version: a later one governs from its date, the earlier one the days before", async () => {
    const { id } = await createMunicipality(h, { settings: { financedCap: 10, budget: 100_000_000 } });
    const later = await put(id, 2026, yearSettings({ financedCap: 20, budget: 200_000_000, effectiveFrom: "2026-10-01" }));
    expect(later.statusCode).toBe(200);
    expect(later.json()).toMatchObject({ year: 2026, financedCap: 20, effectiveFrom: "2026-10-01" });

    // Today the first version is still in force; from 1 October the new one.
    expect((await read(id, 2026)).json()).toMatchObject({ financedCap: 10, budget: 100_000_000, effectiveFrom: "2026-09-01" });
    expect((await read(id, 2026, "2026-09-30")).json()).toMatchObject({ financedCap: 10 });
    expect((await read(id, 2026, "2026-10-01")).json()).toMatchObject({ financedCap: 20, budget: 200_000_000, effectiveFrom: "2026-10-01" });
    expect((await read(id, 2026, "2026-08-31")).json()).toMatchObject({ status: 404 });

    // A correction with the same date supersedes the earlier version from that date on.
    expect((await put(id, 2026, yearSettings({ financedCap: 25, effectiveFrom: "2026-10-01" }))).statusCode).toBe(200);
    expect((await read(id, 2026, "2026-12-31")).json()).toMatchObject({ financedCap: 25 });

    const history = await h.app.inject({ method: "GET", url: `/municipalities/${id}/years/2026/versions`, headers: await h.as({ role: "municipality", municipalityId: id }) });
    expect(history.statusCode).toBe(200);
    const body = history.json<{ on: string; current: { financedCap: number }; versions: { financedCap: number; effectiveFrom: string; inForce: boolean; setBy: string }[] }>();
    expect(body.on).toBe("2026-09-01");
    expect(body.current).toMatchObject({ financedCap: 10 });
    expect(body.versions.map((v) => [v.effectiveFrom, v.financedCap, v.inForce])).toEqual([
      ["2026-10-01", 25, false],
      ["2026-10-01", 20, false],
      ["2026-09-01", 10, true],
    ]);
    expect(body.versions[0]?.setBy).toBeTruthy();

    // The services that keep a year's settings apply what they hear at once: the versions from
    // 1 October are announced on that day (in the municipality's zone), not when saved.
    const announced = async () =>
      (await outboxEvents<{ financedCap: number; effectiveFrom?: string }>(h.pool, "registry.municipality.year-set"))
        .filter((e) => e.municipalityId === id)
        .map((e) => [e.data.effectiveFrom, e.data.financedCap]);
    expect(await announced()).toEqual([["2026-09-01", 10]]);
    expect(await announceYearSettings({ pool: h.pool, clock: h.clock })).toEqual({ announced: 0 });
    expect(await announced()).toEqual([["2026-09-01", 10]]);
    // 30 September 23:30 in Kamchatka (UTC+12) is still not October there.
    h.clock.set("2026-09-30T11:30:00Z");
    await announceYearSettings({ pool: h.pool, clock: h.clock });
    expect(await announced()).toEqual([["2026-09-01", 10]]);
    h.clock.set("2026-09-30T12:30:00Z");
    const sweeps = await Promise.all([announceYearSettings({ pool: h.pool, clock: h.clock }), announceYearSettings({ pool: h.pool, clock: h.clock })]);
    // Two registries sweeping at once announce each version once, in the order saved: the last heard is the one in force.
    expect(sweeps.reduce((sum, s) => sum + s.announced, 0)).toBe(2);
    expect(await announced()).toEqual([
      ["2026-09-01", 10],
      ["2026-10-01", 20],
      ["2026-10-01", 25],
    ]);
    h.clock.set("2026-09-01T09:00:00Z");
  });

  it("defaults to 1 January for a year not begun, and refuses a date before today or outside the year", async () => {
    const { id } = await createMunicipality(h);
    const next = await put(id, 2027, yearSettings());
    expect(next.json()).toMatchObject({ year: 2027, effectiveFrom: "2027-01-01" });
    // Another year's settings are read on its nearest day.
    expect((await read(id, 2027)).json()).toMatchObject({ year: 2027, effectiveFrom: "2027-01-01" });

    const retro = await put(id, 2026, yearSettings({ effectiveFrom: "2026-08-31" }));
    expect(retro.statusCode).toBe(422);
    expect(retro.json()).toMatchObject({ code: "REGISTRY.YEAR_SETTINGS_RETROACTIVE", invalidParams: [{ name: "body.effectiveFrom" }] });
    const outside = await put(id, 2026, yearSettings({ effectiveFrom: "2027-02-01" }));
    expect(outside.json()).toMatchObject({ code: "REGISTRY.YEAR_DATE_OUTSIDE_YEAR" });
    const versions = await h.pool.query("SELECT 1 FROM municipality_year_versions WHERE municipality_id = $1 AND year = 2026", [id]);
    expect(versions.rowCount).toBe(1);
  });

  it("finances under the cap in force today, not a future one", async () => {
    const { id } = await createMunicipality(h, { settings: { financedCap: 1, nominal: 1_000_000 } });
    // From October the cap rises; today it is still 1.
    expect((await put(id, 2026, yearSettings({ financedCap: 5, nominal: 1_000_000, effectiveFrom: "2026-10-01" }))).statusCode).toBe(200);
    const first = await issuedCertificate(h, id);
    const second = await issuedCertificate(h, id);
    const finance = async (certificateId: string) => h.app.inject({ method: "POST", url: `/certificates/${certificateId}/financing`, headers: await office(h, id) });
    expect((await finance(first.certificateId)).json()).toMatchObject({ funding: "financed" });
    expect((await finance(second.certificateId)).json()).toMatchObject({ code: "REGISTRY.CAP_REACHED" });
    h.clock.set("2026-10-01T09:00:00Z");
    try {
      expect((await finance(second.certificateId)).json()).toMatchObject({ funding: "financed" });
    } finally {
      h.clock.set("2026-09-01T09:00:00Z");
    }
  });

  it("shows the history to the municipality and its region only", async () => {
    const { id } = await createMunicipality(h);
    const other = await createMunicipality(h);
    const foreign = await h.app.inject({ method: "GET", url: `/municipalities/${id}/years/2026/versions`, headers: await h.as({ role: "municipality", municipalityId: other.id }) });
    expect(foreign.statusCode).toBe(403);
    const region = await h.app.inject({ method: "GET", url: `/municipalities/${id}/years/2026/versions`, headers: await h.as({ role: "region", regionCode: "41" }) });
    expect(region.statusCode).toBe(200);
  });
});
