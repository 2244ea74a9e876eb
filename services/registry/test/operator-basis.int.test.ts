import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childBody, createMunicipality, passportNumber, registryHarness, snapshot, type RegistryHarness } from "./fixtures/registry";

interface AuditEntry {
  action: string;
  subjectId: string;
  by: { role: string; subject: string };
  basis: { kind: string; reference: string | null };
}

// An operator registering a family, its categories or its certificate at the office states the
// basis (the family came in person, or wrote); the family reads each such act in its trail.
describe("operators acting for a family in the registry", () => {
  let h: RegistryHarness;
  let municipalityId: string;
  let bare: { authorization: string };
  beforeAll(async () => {
    h = await registryHarness("reg-operator-basis");
    ({ id: municipalityId } = await createMunicipality(h));
    bare = await h.as({ role: "operator", municipalityId, subject: "operator-sidorova" });
  });
  afterAll(async () => {
    await h.close();
  });

  const guardianBody = () => ({ firstName: "Ольга", lastName: "Смирнова", document: { kind: "passport", number: passportNumber() }, municipalityId });
  const post = (url: string, headers: Record<string, string>, payload: Record<string, unknown>, method: "POST" | "PUT" = "POST") => h.app.inject({ method, url, headers, payload });

  it("refuses an operator's act for a family without a basis, writing nothing", async () => {
    const before = await snapshot(h.pool);
    const res = await post("/guardians", bare, guardianBody());
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: "AUTH.BASIS_REQUIRED", invalidParams: [{ name: "headers.acting-basis" }] });
    const malformed = await post("/guardians", { ...bare, "acting-basis": "telephone" }, guardianBody());
    expect(malformed.json()).toMatchObject({ status: 422, code: "AUTH.BASIS_INVALID", invalidParams: [{ name: "headers.acting-basis" }] });
    expect(await snapshot(h.pool)).toEqual(before);
    expect((await h.pool.query("SELECT 1 FROM family_audit")).rowCount).toBe(0);
  });

  it("writes each act with its basis to the trail the family reads", async () => {
    const written = { ...bare, "acting-basis": `written_request; ref=${encodeURIComponent("№ 41-17/2026")}` };
    const visit = { ...bare, "acting-basis": "in_person_visit" };
    const guardian = await post("/guardians", written, guardianBody());
    expect(guardian.statusCode, guardian.body).toBe(201);
    const guardianId = guardian.json<{ id: string }>().id;
    const child = await post("/children", visit, childBody([guardianId]));
    expect(child.statusCode, child.body).toBe(201);
    const childId = child.json<{ id: string }>().id;
    expect((await post(`/children/${childId}/categories`, bare, { categories: [] }, "PUT")).json()).toMatchObject({ status: 422, code: "AUTH.BASIS_REQUIRED" });
    const categories = await post(`/children/${childId}/categories`, written, { categories: [{ code: "large_family", proof: { kind: "удостоверение многодетной семьи", number: "77-001", issuer: "УСЗН", issuedOn: "2026-01-01" } }] }, "PUT");
    expect(categories.statusCode, categories.body).toBe(200);
    expect((await post("/certificates", bare, { childId })).json()).toMatchObject({ status: 422, code: "AUTH.BASIS_REQUIRED", invalidParams: [{ name: "headers.acting-basis" }] });
    const certificate = await post("/certificates", visit, { childId });
    expect(certificate.statusCode, certificate.body).toBe(201);

    const family = await h.as({ role: "guardian", municipalityId, guardianId });
    const trail = await h.app.inject({ method: "GET", url: `/children/${childId}/audit`, headers: family });
    expect(trail.statusCode, trail.body).toBe(200);
    expect(trail.json<AuditEntry[]>()).toMatchObject([
      { action: "child.registered", subjectId: childId, by: { role: "operator", subject: "operator-sidorova" }, basis: { kind: "in_person_visit", reference: null } },
      { action: "child.categories-replaced", subjectId: childId, basis: { kind: "written_request", reference: "№ 41-17/2026" } },
      { action: "certificate.applied", subjectId: childId, basis: { kind: "in_person_visit" } },
    ]);
    const own = await h.app.inject({ method: "GET", url: `/guardians/${guardianId}/audit`, headers: family });
    expect(own.json<AuditEntry[]>()).toMatchObject([{ action: "guardian.registered", subjectId: guardianId, basis: { kind: "written_request", reference: "№ 41-17/2026" } }]);

    // Another family does not read it; the office does.
    const stranger = await h.as({ role: "guardian", municipalityId, guardianId: (await post("/guardians", visit, guardianBody())).json<{ id: string }>().id });
    expect((await h.app.inject({ method: "GET", url: `/children/${childId}/audit`, headers: stranger })).json()).toMatchObject({ status: 403, code: "REGISTRY.NOT_YOUR_CHILD" });
    expect((await h.app.inject({ method: "GET", url: `/guardians/${guardianId}/audit`, headers: stranger })).json()).toMatchObject({ status: 403, code: "REGISTRY.NOT_YOUR_RECORD" });
    expect((await h.app.inject({ method: "GET", url: `/children/${childId}/audit`, headers: bare })).json()).toHaveLength(3);

    // The family's own acts are its own: no entry.
    const self = await h.as({ role: "guardian", municipalityId, guardianId: crypto.randomUUID() });
    expect((await post("/guardians", self, guardianBody())).statusCode).toBe(201);
    expect((await h.pool.query("SELECT 1 FROM family_audit")).rowCount).toBe(5);
  });
});
