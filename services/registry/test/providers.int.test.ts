import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMunicipality, outboxEvents, registryHarness, type RegistryHarness } from "./fixtures/registry";

let taxSerial = 7_700_000_000 + Math.floor(Math.random() * 100_000_000);
const application = (municipalityId: string, overrides: Record<string, unknown> = {}) => ({
  municipalityId,
  kind: "private",
  name: "АНО «Робототехника для всех»",
  taxId: String(taxSerial++),
  licence: { number: "Л035-01234-41/00123456", issuedOn: "2024-05-17" },
  ...overrides,
});

describe("providers: application, checks, approval", () => {
  let h: RegistryHarness;
  let municipalityId: string;
  beforeAll(async () => {
    h = await registryHarness("reg-providers");
    ({ id: municipalityId } = await createMunicipality(h));
  });
  afterAll(async () => {
    await h.close();
  });

  async function apply(overrides: Record<string, unknown> = {}, as?: { authorization: string }) {
    const headers = as ?? (await h.as({ role: "operator", municipalityId }));
    return h.app.inject({ method: "POST", url: "/providers", headers, payload: application(municipalityId, overrides) });
  }

  it("takes an application from a provider's own account under its provider id", async () => {
    const providerId = randomUUID();
    const res = await apply({ kind: "entrepreneur", name: "ИП Сидоров А. В.", taxId: "410101234567" }, await h.as({ role: "provider", municipalityId, providerId }));
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ id: providerId, status: "applied", checks: { staff: "pending", premises: "pending", safety: "pending" } });
    const applied = await outboxEvents(h.pool, "registry.provider.applied");
    expect(applied.find((e) => e.aggregateId === providerId)?.data).toEqual({ providerId, kind: "entrepreneur", name: "ИП Сидоров А. В." });
  });

  it("approves only after every check passed, and announces it", async () => {
    const { id } = (await apply({ kind: "municipal" })).json<{ id: string }>();
    const region = await h.as({ role: "region", regionCode: "41" });
    // Another region's official neither records checks nor approves, and nothing changes (issue 12).
    const elsewhere = await h.as({ role: "region", regionCode: "11" });
    const foreignChecks = await h.app.inject({ method: "PUT", url: `/providers/${id}/checks`, headers: elsewhere, payload: { staff: "passed", premises: "passed", safety: "passed" } });
    expect(foreignChecks.json()).toMatchObject({ status: 403, code: "AUTH.OTHER_REGION" });
    expect((await h.app.inject({ method: "GET", url: `/providers/${id}`, headers: region })).json()).toMatchObject({ checks: { staff: "pending" } });
    const early = await h.app.inject({ method: "POST", url: `/providers/${id}/approval`, headers: region, payload: {} });
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ code: "REGISTRY.PROVIDER_CHECKS_INCOMPLETE" });
    expect(early.json<{ detail: string }>().detail).toContain("staff, premises, safety");

    const checks = await h.app.inject({ method: "PUT", url: `/providers/${id}/checks`, headers: region, payload: { staff: "passed", premises: "passed", safety: "passed" } });
    expect(checks.statusCode).toBe(200);
    const approved = await h.app.inject({ method: "POST", url: `/providers/${id}/approval`, headers: region, payload: {} });
    expect(approved.json()).toMatchObject({ status: "approved" });
    expect((await outboxEvents(h.pool, "registry.provider.approved")).map((e) => e.aggregateId)).toContain(id);

    // Approved providers are what families see without a token.
    const listed = await h.app.inject({ method: "GET", url: `/municipalities/${municipalityId}/providers` });
    expect(listed.json<{ id: string }[]>().map((p) => p.id)).toContain(id);
  });

  it("rejects with reasons, and suspends and reinstates an approved provider", async () => {
    const region = await h.as({ role: "region", regionCode: "41" });
    const rejected = (await apply({ kind: "state" })).json<{ id: string }>();
    const noReason = await h.app.inject({ method: "POST", url: `/providers/${rejected.id}/rejection`, headers: region, payload: { reasons: [] } });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json()).toMatchObject({ invalidParams: [{ name: "body.reasons" }] });
    const res = await h.app.inject({ method: "POST", url: `/providers/${rejected.id}/rejection`, headers: region, payload: { reasons: ["no fire safety certificate for the premises"] } });
    expect(res.json()).toMatchObject({ status: "rejected", rejectionReasons: ["no fire safety certificate for the premises"] });

    const ok = (await apply()).json<{ id: string }>();
    await h.app.inject({ method: "PUT", url: `/providers/${ok.id}/checks`, headers: region, payload: { staff: "passed", premises: "passed", safety: "passed" } });
    await h.app.inject({ method: "POST", url: `/providers/${ok.id}/approval`, headers: region, payload: {} });
    const suspended = await h.app.inject({ method: "POST", url: `/providers/${ok.id}/suspension`, headers: region, payload: { reason: "complaint under investigation" } });
    expect(suspended.json()).toMatchObject({ status: "suspended", suspendedReason: "complaint under investigation" });
    expect((await outboxEvents<{ reason: string }>(h.pool, "registry.provider.suspended")).find((e) => e.aggregateId === ok.id)?.data.reason).toBe("other");
    const hidden = await h.app.inject({ method: "GET", url: `/municipalities/${municipalityId}/providers` });
    expect(hidden.json<{ id: string }[]>().map((p) => p.id)).not.toContain(ok.id);
    const back = await h.app.inject({ method: "POST", url: `/providers/${ok.id}/reinstatement`, headers: region, payload: {} });
    expect(back.json()).toMatchObject({ status: "approved", suspendedReason: null });

    const again = await h.app.inject({ method: "POST", url: `/providers/${rejected.id}/approval`, headers: region, payload: {} });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: "REGISTRY.PROVIDER_TRANSITION" });
  });

  it("lets the desk decide nothing (the region and the municipality do), and an office apply only in its municipality", async () => {
    const { id } = (await apply()).json<{ id: string }>();
    const operator = await h.as({ role: "operator", municipalityId });
    const res = await h.app.inject({ method: "POST", url: `/providers/${id}/approval`, headers: operator, payload: {} });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: "AUTH.FORBIDDEN_ROLE" });
    const other = await createMunicipality(h);
    const elsewhere = await apply({}, await h.as({ role: "operator", municipalityId: other.id }));
    expect(elsewhere.statusCode).toBe(403);
    expect(elsewhere.json()).toMatchObject({ code: "AUTH.OTHER_MUNICIPALITY" });
  });

  it("lets the provider's own municipality vet it (issue 18): checks, approval, suspension with a reason; another municipality's office is refused, changing nothing", async () => {
    const { id } = (await apply()).json<{ id: string }>();
    const office = await h.as({ role: "municipality", municipalityId });
    const other = await createMunicipality(h);
    const foreign = await h.as({ role: "municipality", municipalityId: other.id });
    const passed = { staff: "passed", premises: "passed", safety: "passed" };
    const refused = await h.app.inject({ method: "PUT", url: `/providers/${id}/checks`, headers: foreign, payload: passed });
    expect(refused.json()).toMatchObject({ status: 403, code: "AUTH.OTHER_MUNICIPALITY" });
    expect((await h.app.inject({ method: "POST", url: `/providers/${id}/approval`, headers: foreign, payload: {} })).json()).toMatchObject({ status: 403, code: "AUTH.OTHER_MUNICIPALITY" });
    expect((await h.app.inject({ method: "GET", url: `/providers/${id}`, headers: office })).json()).toMatchObject({ status: "applied", checks: { staff: "pending" } });

    expect((await h.app.inject({ method: "PUT", url: `/providers/${id}/checks`, headers: office, payload: passed })).statusCode).toBe(200);
    const approved = await h.app.inject({ method: "POST", url: `/providers/${id}/approval`, headers: office, payload: {} });
    expect(approved.json()).toMatchObject({ status: "approved" });
    expect((await outboxEvents(h.pool, "registry.provider.approved")).map((e) => e.aggregateId)).toContain(id);
    const noReason = await h.app.inject({ method: "POST", url: `/providers/${id}/suspension`, headers: office, payload: { reason: "" } });
    expect(noReason.json()).toMatchObject({ status: 400, invalidParams: [{ name: "body.reason" }] });
    const suspended = await h.app.inject({ method: "POST", url: `/providers/${id}/suspension`, headers: office, payload: { reason: "жалоба родителей: проверка", code: "complaint" } });
    expect(suspended.json()).toMatchObject({ status: "suspended", suspendedReason: "жалоба родителей: проверка" });
    expect((await h.app.inject({ method: "POST", url: `/providers/${id}/reinstatement`, headers: foreign, payload: {} })).statusCode).toBe(403);
    expect((await h.app.inject({ method: "GET", url: `/providers/${id}`, headers: office })).json()).toMatchObject({ status: "suspended" });
  });

  it("refuses a second application with the same tax id and a malformed one, writing nothing", async () => {
    const first = await apply({ taxId: "7701234567" });
    expect(first.statusCode).toBe(201);
    const count = async () => ((await h.pool.query("SELECT count(*)::int AS n FROM providers")).rows[0] as { n: number }).n;
    const before = await count();
    const again = await apply({ taxId: "7701234567" });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: "REGISTRY.PROVIDER_ALREADY_APPLIED", invalidParams: [{ name: "body.taxId" }] });
    const bad = await apply({ taxId: "77-01", kind: "school" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ invalidParams: { name: string }[] }>().invalidParams.map((p) => p.name).sort()).toEqual(["body.kind", "body.taxId"]);
    const entrepreneur = await apply({ kind: "entrepreneur", taxId: "7701234599" });
    expect(entrepreneur.statusCode).toBe(422);
    expect(entrepreneur.json()).toMatchObject({ code: "REGISTRY.TAX_ID_INVALID" });
    expect(await count()).toBe(before);
  });

  it("announces rejections and suspensions by code: the region's words stay in the registry", async () => {
    const region = await h.as({ role: "region", regionCode: "41" });
    const rejected = (await apply()).json<{ id: string }>();
    const words = "в помещении нет заключения пожарного надзора";
    const res = await h.app.inject({ method: "POST", url: `/providers/${rejected.id}/rejection`, headers: region, payload: { reasons: [words], code: "documents_incomplete" } });
    expect(res.json()).toMatchObject({ status: "rejected", rejectionReasons: [words] });
    const ok = (await apply()).json<{ id: string }>();
    await h.app.inject({ method: "PUT", url: `/providers/${ok.id}/checks`, headers: region, payload: { staff: "passed", premises: "passed", safety: "passed" } });
    await h.app.inject({ method: "POST", url: `/providers/${ok.id}/approval`, headers: region, payload: {} });
    const complaint = "жалоба родителей на педагога Иванова";
    await h.app.inject({ method: "POST", url: `/providers/${ok.id}/suspension`, headers: region, payload: { reason: complaint, code: "complaint" } });
    const bad = await h.app.inject({ method: "POST", url: `/providers/${ok.id}/suspension`, headers: region, payload: { reason: "x y z", code: "free text" } });
    expect(bad.json()).toMatchObject({ status: 400, invalidParams: [{ name: "body.code" }] });

    const rejections = (await outboxEvents(h.pool, "registry.provider.rejected")).filter((e) => e.aggregateId === rejected.id);
    expect(rejections.map((e) => e.data)).toEqual([{ providerId: rejected.id, kind: "private", name: "АНО «Робототехника для всех»", reason: "documents_incomplete" }]);
    const suspensions = (await outboxEvents(h.pool, "registry.provider.suspended")).filter((e) => e.aggregateId === ok.id);
    expect(suspensions.map((e) => e.data.reason)).toEqual(["complaint"]);
    const { rows } = await h.pool.query<{ payload: string }>("SELECT payload FROM outbox");
    expect(rows.map((r) => r.payload).join("\n")).not.toMatch(/пожарного надзора|педагога Иванова/);
  });

  it("shows the public only public facts of approved providers, and the whole record to the provider, its region and its office", async () => {
    const region = await h.as({ role: "region", regionCode: "41" });
    const providerId = randomUUID();
    const own = await h.as({ role: "provider", municipalityId, providerId });
    const taxId = "410109876543";
    expect((await apply({ kind: "entrepreneur", name: "ИП Петрова Е. Н.", taxId }, own)).statusCode).toBe(201);
    const get = async (id: string, headers?: { authorization: string }) => h.app.inject({ method: "GET", url: `/providers/${id}`, ...(headers && { headers }) });

    // Not approved: nobody but the entitled learns it exists.
    const applying = await get(providerId);
    expect(applying.statusCode).toBe(404);
    expect(applying.json()).toMatchObject({ code: "REGISTRY.PROVIDER_NOT_FOUND" });
    const otherProvider = await h.as({ role: "provider", municipalityId, providerId: randomUUID() });
    expect((await get(providerId, otherProvider)).statusCode).toBe(404);
    expect((await get(providerId, await h.as({ role: "guardian", municipalityId, guardianId: randomUUID() }))).statusCode).toBe(404);
    expect((await get(providerId, own)).json()).toMatchObject({ view: "staff", taxId, status: "applied" });

    await h.app.inject({ method: "PUT", url: `/providers/${providerId}/checks`, headers: region, payload: { staff: "passed", premises: "passed", safety: "passed" } });
    await h.app.inject({ method: "POST", url: `/providers/${providerId}/approval`, headers: region, payload: {} });

    const anonymous = await get(providerId);
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.json()).toEqual({
      view: "public",
      id: providerId,
      municipalityId,
      kind: "entrepreneur",
      name: "ИП Петрова Е. Н.",
      licence: { number: "Л035-01234-41/00123456", issuedOn: "2024-05-17" },
      status: "approved",
    });
    expect(anonymous.body).not.toContain(taxId);
    expect((await get(providerId, otherProvider)).json()).toMatchObject({ view: "public" });
    for (const entitled of [own, region, await h.as({ role: "operator", municipalityId })]) {
      expect((await get(providerId, entitled)).json()).toMatchObject({ view: "staff", taxId, checks: { staff: "passed" } });
    }
    const elsewhere = await createMunicipality(h);
    expect((await get(providerId, await h.as({ role: "operator", municipalityId: elsewhere.id }))).json()).toMatchObject({ view: "public" });
    expect((await get(providerId, await h.as({ role: "region", regionCode: "11" }))).json()).toMatchObject({ view: "public" });

    // Suspended: gone from public view, reasons and all; the list shows the public no reasons either.
    await h.app.inject({ method: "POST", url: `/providers/${providerId}/suspension`, headers: region, payload: { reason: "complaint about the premises" } });
    expect((await get(providerId)).statusCode).toBe(404);
    const rejected = (await apply({ kind: "private" })).json<{ id: string }>();
    await h.app.inject({ method: "POST", url: `/providers/${rejected.id}/rejection`, headers: region, payload: { reasons: ["no safety certificate"] } });
    expect((await get(rejected.id)).statusCode).toBe(404);
    const listed = await h.app.inject({ method: "GET", url: `/municipalities/${municipalityId}/providers` });
    expect(listed.body).not.toMatch(/taxId|checks|rejectionReasons|suspendedReason/);
    expect(listed.json<{ view: string; status: string }[]>().every((p) => p.view === "public" && p.status === "approved")).toBe(true);
    const staffList = await h.app.inject({ method: "GET", url: `/municipalities/${municipalityId}/providers?status=rejected`, headers: region });
    expect(staffList.json<{ id: string; rejectionReasons: string[] }[]>().find((p) => p.id === rejected.id)?.rejectionReasons).toEqual(["no safety certificate"]);
  });
});
