import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apply, child, counts, enrollmentHarness, openGroup, outboxEvents, world, type Auth, type EnrollmentHarness, type World } from "./fixtures/enrollment";

interface AuditEntry {
  action: string;
  subjectId: string;
  by: { role: string; subject: string };
  basis: { kind: string; reference: string | null };
}

// An operator acting for a family states the basis (the family came in person, or wrote), and
// the family reads every such act in its trail; a contract an operator records and choices it
// files are marked as the operator's.
describe("operators acting for a family", () => {
  let h: EnrollmentHarness;
  let w: World;
  let bare: Auth;
  beforeAll(async () => {
    h = await enrollmentHarness("enr-operator-basis");
    w = await world(h);
    bare = await h.as({ role: "operator", municipalityId: w.municipalityId, subject: "operator-ivanova" });
    h.clock.set("2026-09-01T09:00:00Z");
  });
  afterAll(async () => {
    await h.close();
  });

  const audit = (childId: string, who: Auth) => h.app.inject({ method: "GET", url: `/children/${childId}/audit`, headers: who });
  const withBasis = (basis: string): Auth => ({ ...bare, "acting-basis": basis });

  it("refuses an operator's act for a family without a basis, or with a malformed one, writing nothing", async () => {
    const { groupId } = await openGroup(h, w);
    const k = await child(h, w);
    const before = await counts(h.pool);
    const missing = await apply(h, bare, k.childId, groupId);
    expect(missing.statusCode).toBe(422);
    expect(missing.json()).toMatchObject({ code: "AUTH.BASIS_REQUIRED", invalidParams: [{ name: "headers.acting-basis" }] });
    for (const basis of ["phone_call", "written_request; ref=", "written_request; ref=%E0%A4%A", "in_person_visit; ref=1; ref=2", `written_request; ref=${"7".repeat(41)}`]) {
      const res = await apply(h, withBasis(basis), k.childId, groupId);
      expect(res.statusCode, basis).toBe(422);
      expect(res.json(), basis).toMatchObject({ code: "AUTH.BASIS_INVALID", invalidParams: [{ name: "headers.acting-basis" }] });
    }
    expect(await counts(h.pool)).toEqual(before);
    expect((await h.pool.query("SELECT 1 FROM family_audit")).rowCount).toBe(0);
    // The family itself needs none.
    expect((await apply(h, k.guardian, k.childId, groupId)).statusCode).toBe(201);
  });

  it("writes each act with its basis to the trail the family reads, and marks a contract an operator records", async () => {
    const { groupId } = await openGroup(h, w, { capacity: 1 });
    const k = await child(h, w);
    const written = withBasis(`written_request; ref=${encodeURIComponent("ВХ-2026/154")}`);
    const applied = await apply(h, written, k.childId, groupId);
    expect(applied.statusCode, applied.body).toBe(201);
    const applicationId = applied.json<{ id: string }>().id;
    expect(applied.json()).toMatchObject({ submittedBy: "operator" });

    await h.app.inject({ method: "POST", url: `/applications/${applicationId}/review`, headers: w.provider, payload: { decision: "confirmed" } });
    const offerId = (await h.app.inject({ method: "GET", url: `/applications/${applicationId}`, headers: k.guardian })).json<{ offers: { id: string }[] }>().offers[0]!.id;
    const unsigned = await h.app.inject({ method: "POST", url: `/offers/${offerId}/acceptance`, headers: bare, payload: { method: "in_person" } });
    expect(unsigned.json()).toMatchObject({ status: 422, code: "AUTH.BASIS_REQUIRED" });
    const signed = await h.app.inject({ method: "POST", url: `/offers/${offerId}/acceptance`, headers: withBasis("in_person_visit"), payload: { method: "in_person" } });
    expect(signed.statusCode, signed.body).toBe(201);
    const enrollment = signed.json<{ id: string; contract: Record<string, unknown> }>();
    // Marked in the state and the family's view...
    expect(enrollment.contract).toMatchObject({ method: "in_person", signedRole: "operator", signedBy: "operator-ivanova" });
    expect((await h.app.inject({ method: "GET", url: `/enrollments/${enrollment.id}`, headers: k.guardian })).json()).toMatchObject({ contract: { method: "in_person", signedRole: "operator" } });
    // ...and in the event.
    const contract = (await outboxEvents(h.pool, "enrollment.contract.signed")).find((e) => e.aggregateId === enrollment.id);
    expect(contract?.data).toMatchObject({ method: "in_person", signedBy: "operator-ivanova" });

    const trail = await audit(k.childId, k.guardian);
    expect(trail.statusCode, trail.body).toBe(200);
    expect(trail.json<AuditEntry[]>()).toMatchObject([
      { action: "application.submitted", subjectId: applicationId, by: { role: "operator", subject: "operator-ivanova" }, basis: { kind: "written_request", reference: "ВХ-2026/154" } },
      { action: "offer.accepted", subjectId: offerId, by: { role: "operator" }, basis: { kind: "in_person_visit", reference: null } },
    ]);
    // The office reads it too; another family does not.
    expect((await audit(k.childId, w.operator)).json()).toHaveLength(2);
    const stranger = await child(h, w);
    expect((await audit(k.childId, stranger.guardian)).json()).toMatchObject({ status: 403, code: "ENROLLMENT.NOT_YOUR_CHILD" });
    expect((await audit(k.childId, w.provider)).json()).toMatchObject({ status: 403, code: "AUTH.FORBIDDEN_ROLE" });

    // The family's own acts are its own: no entry.
    const own = await apply(h, k.guardian, k.childId, (await openGroup(h, w, { slots: [{ weekday: 5, start: "10:00", end: "11:00" }] })).groupId);
    expect(own.statusCode, own.body).toBe(201);
    await h.app.inject({ method: "POST", url: `/applications/${own.json<{ id: string }>().id}/withdrawal`, headers: k.guardian });
    expect((await audit(k.childId, k.guardian)).json()).toHaveLength(2);
  });

  it("marks campaign choices an operator files, in the family's view and its trail", async () => {
    h.clock.set("2026-08-10T09:00:00Z");
    const { groupId } = await openGroup(h, w);
    const office = await h.as({ role: "municipality", municipalityId: w.municipalityId });
    const created = await h.app.inject({
      method: "POST",
      url: "/campaigns",
      headers: office,
      payload: { municipalityId: w.municipalityId, name: "Набор", maxChoices: 1, groupIds: [groupId], opensAt: "2026-08-20T00:00:00+12:00", closesAt: "2026-08-25T00:00:00+12:00" },
    });
    expect(created.statusCode, created.body).toBe(201);
    const campaignId = created.json<{ id: string }>().id;
    h.clock.set("2026-08-21T09:00:00Z");
    const k = await child(h, w);
    const url = `/campaigns/${campaignId}/children/${k.childId}/choices`;
    expect((await h.app.inject({ method: "PUT", url, headers: bare, payload: { groupIds: [groupId] } })).json()).toMatchObject({ status: 422, code: "AUTH.BASIS_REQUIRED" });
    const filed = await h.app.inject({ method: "PUT", url, headers: withBasis("in_person_visit"), payload: { groupIds: [groupId] } });
    expect(filed.statusCode, filed.body).toBe(200);
    expect((await h.app.inject({ method: "GET", url: `/campaigns/${campaignId}/children/${k.childId}`, headers: k.guardian })).json()).toMatchObject({ choices: [groupId], submittedBy: "operator" });
    const removed = await h.app.inject({ method: "DELETE", url, headers: withBasis("written_request") });
    expect(removed.statusCode, removed.body).toBe(204);
    expect((await audit(k.childId, k.guardian)).json<AuditEntry[]>().map((e) => [e.action, e.subjectId, e.basis.kind])).toEqual([
      ["campaign.choices-submitted", campaignId, "in_person_visit"],
      ["campaign.choices-withdrawn", campaignId, "written_request"],
    ]);
    const again = await h.app.inject({ method: "PUT", url, headers: k.guardian, payload: { groupIds: [groupId] } });
    expect(again.json()).toMatchObject({ submittedBy: "guardian" });
  });
});
