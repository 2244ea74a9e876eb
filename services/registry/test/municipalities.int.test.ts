import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMunicipality, outboxEvents, registryHarness, yearSettings, type RegistryHarness } from "./fixtures/registry";

describe("municipalities and their yearly rules", () => {
  let h: RegistryHarness;
  beforeAll(async () => {
    h = await registryHarness("reg-municipalities");
  });
  afterAll(async () => {
    await h.close();
  });

  it("lets the region create a municipality and announces it", async () => {
    const { id, code } = await createMunicipality(h, { timeZone: "Asia/Kamchatka", name: "Петропавловск-Камчатский" });
    const read = await h.app.inject({ method: "GET", url: `/municipalities/${id}` });
    expect(read.json()).toMatchObject({ id, code, timeZone: "Asia/Kamchatka", currency: "RUB" });
    const created = await outboxEvents(h.pool, "registry.municipality.created");
    expect(created.map((e) => e.aggregateId)).toContain(id);
    const years = await outboxEvents<{ year: number; nominal: number }>(h.pool, "registry.municipality.year-set");
    expect(years.find((e) => e.municipalityId === id)?.data).toMatchObject({ year: 2026, nominal: 1_500_000, currency: "RUB" });
  });

  it("refuses a municipality from anyone but the region, and a taken code", async () => {
    const { code, id } = await createMunicipality(h);
    const asMunicipality = await h.as({ role: "municipality", municipalityId: id });
    const body = { code: "7777", name: "Посёлок", regionCode: "41", timeZone: "Asia/Kamchatka", currency: "RUB" };
    expect((await h.app.inject({ method: "POST", url: "/municipalities", headers: asMunicipality, payload: body })).statusCode).toBe(403);
    // A region official creates municipalities of their own region only (issue 12).
    const otherRegion = await h.app.inject({ method: "POST", url: "/municipalities", headers: await h.as({ role: "region", regionCode: "11" }), payload: body });
    expect(otherRegion.json()).toMatchObject({ status: 403, code: "AUTH.OTHER_REGION", invalidParams: [{ name: "body.regionCode" }] });
    const otherYear = await h.app.inject({ method: "PUT", url: `/municipalities/${id}/years/2027`, headers: await h.as({ role: "region", regionCode: "11" }), payload: yearSettings() });
    expect(otherYear.json()).toMatchObject({ status: 403, code: "AUTH.OTHER_REGION" });
    const taken = await h.app.inject({ method: "POST", url: "/municipalities", headers: await h.as({ role: "region", regionCode: "41" }), payload: { ...body, code } });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ code: "REGISTRY.MUNICIPALITY_CODE_TAKEN", invalidParams: [{ name: "code" }] });
  });

  it("refuses an invalid zone, currency or fractional nominal, naming the field, and writes nothing", async () => {
    const region = await h.as({ role: "region", regionCode: "41" });
    const before = (await h.pool.query("SELECT count(*)::int AS n FROM outbox")).rows[0] as { n: number };
    const zone = await h.app.inject({ method: "POST", url: "/municipalities", headers: region, payload: { code: "1234", name: "Посёлок", regionCode: "41", timeZone: "UTC+12", currency: "RUB" } });
    expect(zone.statusCode).toBe(400);
    expect(zone.json()).toMatchObject({ code: "HTTP.VALIDATION", invalidParams: [{ name: "body.timeZone" }] });
    const { id } = await createMunicipality(h);
    const afterCreate = (await h.pool.query("SELECT count(*)::int AS n FROM outbox")).rows[0] as { n: number };
    const fractional = await h.app.inject({ method: "PUT", url: `/municipalities/${id}/years/2027`, headers: region, payload: yearSettings({ nominal: 15000.5 }) });
    expect(fractional.statusCode).toBe(400);
    expect(fractional.json<{ invalidParams: { name: string; reason: string }[] }>().invalidParams[0]).toMatchObject({ name: "body.nominal" });
    expect(fractional.json<{ invalidParams: { reason: string }[] }>().invalidParams[0]?.reason).toMatch(/whole number of minor units/);
    const after = (await h.pool.query("SELECT count(*)::int AS n FROM outbox")).rows[0] as { n: number };
    expect(after.n).toBe(afterCreate.n);
    expect(afterCreate.n).toBe(before.n + 2);
  });

  it("sets next year's rules before it starts, and keeps a past year read-only in the municipality's zone", async () => {
    const { id } = await createMunicipality(h, { timeZone: "Asia/Kamchatka" });
    const headers = await h.as({ role: "municipality", municipalityId: id });
    const next = await h.app.inject({ method: "PUT", url: `/municipalities/${id}/years/2027`, headers, payload: yearSettings({ financedCap: 50 }) });
    expect(next.statusCode).toBe(200);
    expect(next.json()).toMatchObject({ year: 2027, financedCap: 50, currency: "RUB" });

    // 31 December 2026, 12:30 UTC: already 2027 in Kamchatka, so 2026 is closed there.
    h.clock.set("2026-12-31T12:30:00Z");
    try {
      const past = await h.app.inject({ method: "PUT", url: `/municipalities/${id}/years/2026`, headers, payload: yearSettings() });
      expect(past.statusCode).toBe(409);
      expect(past.json()).toMatchObject({ code: "REGISTRY.YEAR_IN_THE_PAST", invalidParams: [{ name: "year" }] });
    } finally {
      h.clock.set("2026-09-01T09:00:00Z");
    }
  });

  it("lets a municipality set only its own year settings", async () => {
    const a = await createMunicipality(h);
    const b = await createMunicipality(h);
    const asA = await h.as({ role: "municipality", municipalityId: a.id });
    const other = await h.app.inject({ method: "PUT", url: `/municipalities/${b.id}/years/2027`, headers: asA, payload: yearSettings() });
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({ code: "AUTH.OTHER_MUNICIPALITY" });
  });

  it("refuses more than 12 categories", async () => {
    const { id } = await createMunicipality(h);
    const categories = Array.from({ length: 13 }, (_, i) => ({ code: `cat_${i}`, coefficient: 1 }));
    const res = await h.app.inject({ method: "PUT", url: `/municipalities/${id}/years/2027`, headers: await h.as({ role: "region", regionCode: "41" }), payload: yearSettings({ categories }) });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ invalidParams: [{ name: "body.categories" }] });
  });
});
