import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createMunicipality,
  issuedCertificate,
  office,
  outboxEvents,
  registerChild,
  registryHarness,
  snapshot,
  yearSettings,
  type RegistryHarness,
} from "./fixtures/registry";

describe("financing a certificate over HTTP", () => {
  let h: RegistryHarness;
  beforeAll(async () => {
    h = await registryHarness("reg-financing");
  });
  afterAll(async () => {
    await h.close();
  });

  const finance = async (certificateId: string, headers: Record<string, string>) =>
    h.app.inject({ method: "POST", url: `/certificates/${certificateId}/financing`, headers });

  const financedCount = async (municipalityId: string, year = 2026) =>
    (await h.pool.query<{ n: number }>("SELECT financed_count AS n FROM municipality_years WHERE municipality_id = $1 AND year = $2", [municipalityId, year])).rows[0]?.n;

  it("finances for the current local year and announces the nominal, for a guardian of the child", async () => {
    const { id } = await createMunicipality(h, { timeZone: "Asia/Kamchatka", settings: { nominal: 1_234_500, financedCap: 3 } });
    const { certificateId, guardianId, number } = await issuedCertificate(h, id);
    const res = await finance(certificateId, await h.as({ role: "guardian", municipalityId: id, guardianId }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: certificateId, status: "active", funding: "financed", financedYear: 2026 });
    expect(await financedCount(id)).toBe(1);
    const events = (await outboxEvents(h.pool, "registry.certificate.financed")).filter((e) => e.aggregateId === certificateId);
    expect(events.map((e) => e.data)).toEqual([{ certificateId, number, childId: expect.any(String) as string, year: 2026, nominal: 1_234_500, currency: "RUB", requestId: null }]);

    const before = await snapshot(h.pool);
    const again = await finance(certificateId, await office(h, id));
    expect(again.json()).toMatchObject({ status: 409, code: "REGISTRY.ALREADY_FINANCED" });
    expect(await snapshot(h.pool)).toEqual(before);
    expect(await financedCount(id)).toBe(1);
  });

  it("finances for the new year once it has begun in the municipality's zone", async () => {
    const { id } = await createMunicipality(h, { timeZone: "Asia/Kamchatka" });
    const { certificateId } = await issuedCertificate(h, id);
    const region = await h.as({ role: "region", regionCode: "41" });
    const next = await h.app.inject({ method: "PUT", url: `/municipalities/${id}/years/2027`, headers: region, payload: yearSettings({ financedCap: 7 }) });
    expect(next.statusCode).toBe(200);
    try {
      // 12:30 UTC on 31 December is already 1 January 2027 in Kamchatka.
      h.clock.set("2026-12-31T12:30:00Z");
      expect((await finance(certificateId, await office(h, id))).json()).toMatchObject({ funding: "financed", financedYear: 2027 });
      expect(await financedCount(id, 2027)).toBe(1);
      expect(await financedCount(id, 2026)).toBe(0);
    } finally {
      h.clock.set("2026-09-01T09:00:00Z");
    }
  });

  it("refuses without settings for the year, for a suspended certificate, and from another municipality, writing nothing", async () => {
    const { id } = await createMunicipality(h, { timeZone: "Europe/Moscow", year: 2027 });
    const { certificateId } = await issuedCertificate(h, id);
    const headers = await office(h, id);
    const other = await createMunicipality(h);
    const before = await snapshot(h.pool);
    expect((await finance(certificateId, headers)).json()).toMatchObject({ status: 409, code: "REGISTRY.NO_YEAR_SETTINGS" });
    expect((await finance(certificateId, await office(h, other.id))).json()).toMatchObject({ status: 403, code: "AUTH.OTHER_MUNICIPALITY" });
    expect((await finance(crypto.randomUUID(), headers)).json()).toMatchObject({ status: 404, code: "REGISTRY.CERTIFICATE_NOT_FOUND" });
    expect(await snapshot(h.pool)).toEqual(before);

    const suspended = await issuedCertificate(h, other.id);
    await h.app.inject({ method: "POST", url: `/certificates/${suspended.certificateId}/suspension`, headers: await office(h, other.id), payload: { reason: "проверка" } });
    expect((await finance(suspended.certificateId, await office(h, other.id))).json()).toMatchObject({ status: 409, code: "REGISTRY.CERTIFICATE_NOT_ACTIVE" });
    expect(await financedCount(other.id)).toBe(0);
  });

  it("holds the cap under concurrency: 100 simultaneous conversions against a cap of 10 finance exactly 10", async () => {
    const { id } = await createMunicipality(h, { timeZone: "Asia/Kamchatka", settings: { financedCap: 10 } });
    const headers = await office(h, id);
    const guardianIds = [(await registerChild(h, id)).guardianId];
    const certificates: string[] = [];
    // Set up in batches: one guardian with 100 children, each with a certificate.
    for (let batch = 0; batch < 10; batch++) {
      const issued = await Promise.all(Array.from({ length: 10 }, () => issuedCertificate(h, id, { guardianIds })));
      certificates.push(...issued.map((c) => c.certificateId));
    }

    const answers = await Promise.all(certificates.map((certificateId) => finance(certificateId, headers)));

    const byStatus = (status: number) => answers.filter((a) => a.statusCode === status);
    expect(byStatus(200)).toHaveLength(10);
    expect(byStatus(409)).toHaveLength(90);
    expect(new Set(byStatus(409).map((a) => a.json<{ code: string }>().code))).toEqual(new Set(["REGISTRY.CAP_REACHED"]));
    expect(await financedCount(id)).toBe(10);
    const financed = await h.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM certificates WHERE municipality_id = $1 AND funding = 'financed'", [id]);
    expect(financed.rows[0]?.n).toBe(10);
    const events = (await outboxEvents(h.pool, "registry.certificate.financed")).filter((e) => e.municipalityId === id);
    expect(events).toHaveLength(10);
    expect(new Set(events.map((e) => e.aggregateId))).toEqual(new Set(byStatus(200).map((a) => a.json<{ id: string }>().id)));
  });
});

