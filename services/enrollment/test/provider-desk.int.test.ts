import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CertificateIssued } from "@kruzhok/contracts";
import { apply, child, counts, enrollmentHarness, lifecycleCalls, openGroup, outboxEvents, world, type Auth, type EnrollmentHarness, type World } from "./fixtures/enrollment";

type Problem = { code: string; status: number; invalidParams?: { name: string }[] };
interface WalkInAnswer {
  application: { id: string; status: string; review: string; submittedBy: string; childId: string; groupId: string; enrollment: { id: string } | null };
  enrollment: { id: string; status: string; contract: { method: string; signedRole: string; signedBy: string } } | null;
}

describe("the provider's desk: its applications, its rosters, and the family that walks in", () => {
  let h: EnrollmentHarness;
  let w: World;
  beforeAll(async () => {
    h = await enrollmentHarness("enr-provider-desk");
    w = await world(h);
  });
  afterAll(async () => {
    await h.close();
  });

  const { confirm, enroll } = lifecycleCalls(() => ({ h, w }));
  // The desk acts on the family's paper: the contract's number.
  const desk = (auth: Auth, ref = "Д-2026/17"): Auth => ({ ...auth, "acting-basis": `written_request; ref=${encodeURIComponent(ref)}` });

  /** A child the registry told enrollment of, with its real birth date and certificate number. */
  async function certifiedChild(birthDate = "2017-03-08") {
    const childId = randomUUID();
    const certificateId = randomUUID();
    const guardianId = randomUUID();
    const number = `4101-${certificateId.slice(0, 6)}`;
    await h.deliver(CertificateIssued, { municipalityId: w.municipalityId, aggregateId: certificateId }, {
      certificateId, number, childId, birthYear: Number(birthDate.slice(0, 4)), birthDate, ageBand: "7-10", categories: [], funding: "accounting", guardianIds: [guardianId],
    });
    return { childId, certificateId, guardianId, number, birthDate, guardian: await h.as({ role: "guardian", municipalityId: w.municipalityId, guardianId }) };
  }

  const walkIn = (groupId: string, body: object, headers: Record<string, string>, key?: string) =>
    h.app.inject({ method: "POST", url: `/groups/${groupId}/walk-ins`, headers: { ...headers, ...(key && { "idempotency-key": key }) }, payload: body });

  it("enrolls a walk-in at once when a seat is free and nobody waits: the provider's application, confirmed, signed on paper, in the family's trail", async () => {
    const { groupId } = await openGroup(h, w, { capacity: 2 });
    const k = await certifiedChild();
    const res = await walkIn(groupId, { certificateNumber: k.number, birthDate: k.birthDate }, desk(w.provider));
    expect(res.statusCode, res.body).toBe(201);
    const answer = res.json<WalkInAnswer>();
    expect(answer.application).toMatchObject({ childId: k.childId, groupId, status: "enrolled", review: "confirmed", submittedBy: "provider" });
    expect(answer.enrollment).toMatchObject({ status: "active", contract: { method: "in_person", signedRole: "provider" } });
    expect(answer.application.enrollment?.id).toBe(answer.enrollment!.id);
    expect(res.headers.location).toBe(`/applications/${answer.application.id}`);

    const submitted = (await outboxEvents<{ applicationId: string; submittedBy: string }>(h.pool, "enrollment.application.submitted")).find((e) => e.data.applicationId === answer.application.id);
    expect(submitted?.data.submittedBy).toBe("provider");
    const signed = (await outboxEvents<{ enrollmentId: string; method: string }>(h.pool, "enrollment.contract.signed")).find((e) => e.data.enrollmentId === answer.enrollment!.id);
    expect(signed?.data.method).toBe("in_person");
    // The family reads what the provider did for it, and on which paper.
    const trail = await h.app.inject({ method: "GET", url: `/children/${k.childId}/audit`, headers: k.guardian });
    const acts = trail.json<{ action: string; by: { role: string }; basis: { kind: string; reference: string | null } }[]>();
    expect(acts.map((a) => [a.action, a.by.role, a.basis])).toEqual([
      ["application.submitted", "provider", { kind: "written_request", reference: "Д-2026/17" }],
      ["offer.accepted", "provider", { kind: "written_request", reference: "Д-2026/17" }],
    ]);
    // And the roster shows the child.
    const roster = await h.app.inject({ method: "GET", url: `/groups/${groupId}/roster`, headers: w.provider });
    expect(roster.json<{ enrollments: { childId: string }[] }>().enrollments.map((e) => e.childId)).toEqual([k.childId]);
  });

  it("jumps no queue: with a child waiting ahead, the walk-in waits in the queue and is not enrolled", async () => {
    const { groupId } = await openGroup(h, w, { capacity: 1 });
    const first = await child(h, w);
    await enroll(first, groupId);
    const waiting = await child(h, w);
    const waitingId = (await apply(h, waiting.guardian, waiting.childId, groupId)).json<{ id: string }>().id;
    await confirm(waitingId);
    const k = await certifiedChild("2016-11-30");
    const res = await walkIn(groupId, { certificateNumber: k.number, birthDate: k.birthDate }, desk(w.provider));
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json<WalkInAnswer>()).toMatchObject({ application: { status: "queued", review: "confirmed", submittedBy: "provider" }, enrollment: null });
    const position = await h.app.inject({ method: "GET", url: `/applications/${res.json<WalkInAnswer>().application.id}/position`, headers: k.guardian });
    expect(position.json()).toMatchObject({ position: 2, total: 2 });
  });

  it("refuses a number and birth date that do not match (the same answer for either), without the paper's basis, or at another provider's group; writes nothing", async () => {
    const { groupId } = await openGroup(h, w);
    const k = await certifiedChild("2018-01-20");
    const before = await counts(h.pool);
    const wrongDate = await walkIn(groupId, { certificateNumber: k.number, birthDate: "2018-01-21" }, desk(w.provider));
    expect(wrongDate.statusCode).toBe(422);
    expect(wrongDate.json<Problem>()).toMatchObject({ code: "ENROLLMENT.WALK_IN_NOT_MATCHED", invalidParams: [expect.objectContaining({ name: "body.certificateNumber" })] });
    const unknown = await walkIn(groupId, { certificateNumber: "4101-нет-такого", birthDate: k.birthDate }, desk(w.provider));
    expect(unknown.json<Problem>().code).toBe("ENROLLMENT.WALK_IN_NOT_MATCHED");
    const noBasis = await walkIn(groupId, { certificateNumber: k.number, birthDate: k.birthDate }, w.provider);
    expect(noBasis.json<Problem>().code).toBe("AUTH.BASIS_REQUIRED");
    const stranger = desk(await h.as({ role: "provider", municipalityId: w.municipalityId, providerId: randomUUID() }));
    const foreign = await walkIn(groupId, { certificateNumber: k.number, birthDate: k.birthDate }, stranger);
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json<Problem>().code).toBe("ENROLLMENT.NOT_YOUR_GROUP");
    const operator = await walkIn(groupId, { certificateNumber: k.number, birthDate: k.birthDate }, w.operator);
    expect(operator.json<Problem>().code).toBe("AUTH.FORBIDDEN_ROLE");
    const badDate = await walkIn(groupId, { certificateNumber: k.number, birthDate: "2018-02-30" }, desk(w.provider));
    expect(badDate.statusCode).toBe(400);
    expect(badDate.json<Problem>().invalidParams?.map((p) => p.name)).toEqual(["body.birthDate"]);
    expect(await counts(h.pool)).toEqual(before);
  });

  it("says what to fix in the language the desk reads (Accept-Language), keeping the stable code", async () => {
    const { groupId } = await openGroup(h, w);
    const k = await certifiedChild("2018-05-05");
    const kk = await walkIn(groupId, { certificateNumber: k.number, birthDate: "2018-05-06" }, { ...desk(w.provider), "accept-language": "kk-KZ,kk;q=0.9" });
    expect(kk.headers["content-language"]).toBe("kk");
    expect(kk.json()).toMatchObject({
      code: "ENROLLMENT.WALK_IN_NOT_MATCHED",
      detail: "Осындай туған күні бар баланың мұндай нөмірлі сертификаты жоқ: нөмірді сертификатпен, күнді баланың құжатымен салыстырыңыз.",
      invalidParams: [{ name: "body.certificateNumber", rule: "ENROLLMENT.WALK_IN_NOT_MATCHED" }],
    });
    const ru = await walkIn(groupId, { certificateNumber: k.number, birthDate: "05.05.2018" }, { ...desk(w.provider), "accept-language": "ru-RU" });
    expect(ru.statusCode).toBe(400);
    expect(ru.json()).toMatchObject({ code: "HTTP.VALIDATION", detail: "Некоторые поля заполнены неверно: исправьте отмеченные поля." });
    expect(ru.json<{ invalidParams: { name: string; reason: string }[] }>().invalidParams[0]).toEqual({ name: "body.birthDate", reason: "неверный формат", rule: "invalid_format" });
    const foreign = await walkIn(groupId, { certificateNumber: k.number, birthDate: k.birthDate }, { ...desk(w.operator), "accept-language": "ru" });
    expect(foreign.json()).toMatchObject({ code: "AUTH.FORBIDDEN_ROLE", title: "Нет доступа", detail: "С вашей ролью это действие недоступно." });
  });

  it("answers a retried walk-in with the same Idempotency-Key once, enrolling the child once", async () => {
    const { groupId } = await openGroup(h, w);
    const k = await certifiedChild("2015-06-01");
    const key = randomUUID();
    const first = await walkIn(groupId, { certificateNumber: k.number, birthDate: k.birthDate }, desk(w.provider), key);
    const again = await walkIn(groupId, { certificateNumber: k.number, birthDate: k.birthDate }, desk(w.provider), key);
    expect(first.statusCode, first.body).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual(first.json());
    const { rows } = await h.pool.query("SELECT count(*)::int AS n FROM enrollments WHERE child_id = $1", [k.childId]);
    expect(rows[0]).toEqual({ n: 1 });
  });

  it("lists the applications to the provider's own groups page by page, by group and status; refuses another provider's list", async () => {
    const mine = await world(h);
    const g1 = await openGroup(h, mine);
    const g2 = await openGroup(h, mine);
    const a = await child(h, mine);
    const b = await child(h, mine);
    const ids = [
      (await apply(h, a.guardian, a.childId, g1.groupId)).json<{ id: string }>().id,
      (await apply(h, b.guardian, b.childId, g1.groupId)).json<{ id: string }>().id,
      (await apply(h, a.guardian, a.childId, g2.groupId)).json<{ id: string }>().id,
    ].sort();
    const list = (query: string, who: Auth = mine.provider) => h.app.inject({ method: "GET", url: `/providers/${mine.providerId}/applications${query}`, headers: who });
    const all = await list("");
    expect(all.statusCode, all.body).toBe(200);
    const items = all.json<{ items: { id: string; category: unknown }[]; nextCursor: string | null }>();
    expect(items.items.map((x) => x.id)).toEqual(ids);
    // The provider is not told children's categories.
    expect(items.items.every((x) => x.category === null)).toBe(true);
    const page1 = (await list("?limit=2")).json<{ items: { id: string }[]; nextCursor: string }>();
    const page2 = (await list(`?limit=2&cursor=${page1.nextCursor}`)).json<{ items: { id: string }[]; nextCursor: string | null }>();
    expect([...page1.items, ...page2.items].map((x) => x.id)).toEqual(ids);
    expect(page2.nextCursor).toBeNull();
    expect((await list(`?groupId=${g2.groupId}`)).json<{ items: { childId: string }[] }>().items.map((x) => x.childId)).toEqual([a.childId]);
    expect((await list("?status=offered")).json<{ items: unknown[] }>().items).toHaveLength(0);

    const refused = await list("", w.provider);
    expect(refused.statusCode).toBe(403);
    expect(refused.json<Problem>().code).toBe("ENROLLMENT.NOT_YOUR_GROUP");
  });

  it("shows a group's roster to its provider and its municipality's office, not to another provider", async () => {
    const { groupId } = await openGroup(h, w);
    const k = await child(h, w);
    const enrollmentId = await enroll(k, groupId);
    const roster = (who: Auth) => h.app.inject({ method: "GET", url: `/groups/${groupId}/roster`, headers: who });
    expect((await roster(w.operator)).json()).toEqual({ groupId, enrollments: [expect.objectContaining({ id: enrollmentId, childId: k.childId, status: "active" })] });
    const stranger = await h.as({ role: "provider", municipalityId: w.municipalityId, providerId: randomUUID() });
    expect((await roster(stranger)).json<Problem>().code).toBe("ENROLLMENT.NOT_YOUR_GROUP");
  });
});
