import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepCertificateEnds } from "../src/usecases/lifecycle";
import { createMunicipality, issuedCertificate, office, outboxEvents, registryHarness, type RegistryHarness } from "./fixtures/registry";

describe("a certificate ends on the child's 18th birthday", () => {
  let h: RegistryHarness;
  let kamchatka: string;
  beforeAll(async () => {
    h = await registryHarness("reg-certificate-ends");
    kamchatka = (await createMunicipality(h, { timeZone: "Asia/Kamchatka" })).id;
  });
  afterAll(async () => {
    await h.close();
  });

  it("tells the family a month before and closes the certificate on the birthday, in the municipality's zone, once each", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const ending = await issuedCertificate(h, kamchatka, { birthDate: "2008-10-04" });
    const younger = await issuedCertificate(h, kamchatka, { birthDate: "2009-03-01" });
    const sweepAt = (iso: string) => sweepCertificateEnds({ pool: h.pool, clock: () => new Date(iso) });
    const notices = async () =>
      (await outboxEvents<{ certificateId: string; endsOn: string; daysLeft: number }>(h.pool, "registry.notification.certificate-ending")).filter(
        (e) => e.data.certificateId === ending.certificateId || e.data.certificateId === younger.certificateId,
      );
    const closures = async () =>
      (await outboxEvents<{ reason: string }>(h.pool, "registry.certificate.closed")).filter((e) => [ending.certificateId, younger.certificateId].includes(e.aggregateId));
    const certificate = async (id: string) =>
      (await h.app.inject({ method: "GET", url: `/certificates/${id}`, headers: await office(h, kamchatka) })).json<{ status: string; closedReason: string | null }>();

    // 3 September 23:59 in Kamchatka: more than a month before 4 October.
    await sweepAt("2026-09-03T11:59:00Z");
    expect(await notices()).toEqual([]);
    // 4 September 00:00 in Kamchatka (still 3 September in UTC): a month before.
    await sweepAt("2026-09-03T12:00:00Z");
    expect(await notices()).toMatchObject([{ aggregateId: ending.guardianId, data: { endsOn: "2026-10-04", daysLeft: 30 } }]);
    await sweepAt("2026-09-20T12:00:00Z");
    expect(await notices()).toHaveLength(1);

    // The day before the birthday, local: still active.
    await sweepAt("2026-10-03T11:59:00Z");
    expect(await closures()).toEqual([]);
    expect(await certificate(ending.certificateId)).toMatchObject({ status: "active" });
    // 4 October 00:00 in Kamchatka: 18, closed and announced.
    await sweepAt("2026-10-03T12:00:00Z");
    expect(await closures()).toMatchObject([{ aggregateId: ending.certificateId, data: { reason: "turned_18" } }]);
    expect(await certificate(ending.certificateId)).toMatchObject({ status: "closed", closedReason: "turned_18" });
    expect(await certificate(younger.certificateId)).toMatchObject({ status: "active" });
    await sweepAt("2026-10-10T12:00:00Z");
    expect(await closures()).toHaveLength(1);
  });

  it("closes a suspended certificate too, and tells no one of an end that has already come", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const { certificateId } = await issuedCertificate(h, kamchatka, { birthDate: "2008-09-20" });
    const suspended = await h.app.inject({ method: "POST", url: `/certificates/${certificateId}/suspension`, headers: await office(h, kamchatka), payload: { reason: "проверка документов" } });
    expect(suspended.statusCode, suspended.body).toBe(200);
    // The sweep did not run for a month: on its first round after the birthday it closes without a notice.
    const closed = await sweepCertificateEnds({ pool: h.pool, clock: () => new Date("2026-09-25T00:00:00Z") });
    expect(closed.closed).toBeGreaterThanOrEqual(1);
    const view = (await h.app.inject({ method: "GET", url: `/certificates/${certificateId}`, headers: await office(h, kamchatka) })).json<{ status: string }>();
    expect(view).toMatchObject({ status: "closed", closedReason: "turned_18" });
    const told = (await outboxEvents<{ certificateId: string }>(h.pool, "registry.notification.certificate-ending")).filter((e) => e.data.certificateId === certificateId);
    expect(told).toEqual([]);
  });
});
