import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CertificateConversionRefused, CertificateFinanced, CertificateSuspended, ChildCategoriesChanged, GroupUpdated } from "@kruzhok/contracts";
import { sweep } from "../src/usecases/sweeps";
import { apply, child, counts, enrollmentHarness, groupData, openGroup, outboxEvents, world, type EnrollmentHarness, type World } from "./fixtures/enrollment";

describe("applications, queue, offers, contracts and enrollments", () => {
  let h: EnrollmentHarness;
  let w: World;
  beforeAll(async () => {
    h = await enrollmentHarness("enr-applications");
    w = await world(h);
  });
  afterAll(async () => {
    await h.close();
  });

  const position = async (applicationId: string, who: { authorization: string }) => {
    const res = await h.app.inject({ method: "GET", url: `/applications/${applicationId}/position`, headers: who });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ position: number; total: number; aheadWithHigherCategories: number; aheadInOwnCategoryAppliedEarlier: number; explanation: string; category: { code: string | null } }>();
  };

  it("queues a guardian's application, explains the position, and a confirmed head gets an offer it can accept", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const { groupId, programId } = await openGroup(h, w, { capacity: 1 });
    const first = await child(h, w, { categories: ["low_income"] });
    const second = await child(h, w, { categories: ["large_family"] });
    const third = await child(h, w);
    const a1 = await apply(h, first.guardian, first.childId, groupId);
    expect(a1.statusCode, a1.body).toBe(201);
    const a2 = await apply(h, second.guardian, second.childId, groupId);
    const a3 = await apply(h, w.operator, third.childId, groupId);
    expect(a3.statusCode, a3.body).toBe(201);
    const [id1, id2, id3] = [a1, a2, a3].map((r) => r.json<{ id: string }>().id) as [string, string, string];
    expect(a1.json()).toMatchObject({ status: "queued", review: "pending", category: { code: "low_income", rank: 3 }, submittedBy: "guardian" });

    // large_family outranks low_income; the child with no category comes last.
    expect(await position(id2, second.guardian)).toMatchObject({ position: 1, total: 3, aheadWithHigherCategories: 0, aheadInOwnCategoryAppliedEarlier: 0 });
    const p1 = await position(id1, first.guardian);
    expect(p1).toMatchObject({ position: 2, aheadWithHigherCategories: 1, aheadInOwnCategoryAppliedEarlier: 0 });
    expect(p1.explanation).toBe(
      "Место в очереди: 2 из 3. Ваша льготная категория — малоимущая семья (4-я из 4 в порядке муниципалитета). " +
        "Впереди вас: 1 ребёнок с более высокими категориями и 0 детей вашей категории с более ранним заявлением.",
    );
    // In Kazakh when the family reads Kazakh.
    const kk = await h.app.inject({ method: "GET", url: `/applications/${id1}/position`, headers: { ...first.guardian, "accept-language": "kk-KZ, ru;q=0.5" } });
    expect(kk.json<{ explanation: string }>().explanation).toContain("Жеңілдік санатыңыз — аз қамтылған отбасы (муниципалитет тізімінде 4-орын, барлығы 4 санат)");
    expect(await position(id3, third.guardian)).toMatchObject({ position: 3, aheadWithHigherCategories: 2, category: { code: null } });

    // The head is not reviewed yet: the seat waits for it rather than skipping it.
    const review1 = await h.app.inject({ method: "POST", url: `/applications/${id1}/review`, headers: w.provider, payload: { decision: "confirmed" } });
    expect(review1.statusCode, review1.body).toBe(200);
    expect(await counts(h.pool)).toMatchObject({ offers: 0 });
    const review2 = await h.app.inject({ method: "POST", url: `/applications/${id2}/review`, headers: w.provider, payload: { decision: "confirmed" } });
    expect(review2.json()).toMatchObject({ status: "offered" });
    const offer = review2.json<{ offers: { id: string; deadline: string }[] }>().offers[0]!;
    // Three days after 1 September (21:00 local in Kamchatka): the end of 4 September there.
    expect(offer.deadline).toBe("2026-09-04T12:00:00.000Z");

    // Another guardian cannot accept it; the child's guardian signs electronically.
    expect((await h.app.inject({ method: "POST", url: `/offers/${offer.id}/acceptance`, headers: first.guardian, payload: {} })).json()).toMatchObject({ code: "ENROLLMENT.NOT_YOUR_CHILD" });
    const accepted = await h.app.inject({ method: "POST", url: `/offers/${offer.id}/acceptance`, headers: second.guardian, payload: {} });
    expect(accepted.statusCode, accepted.body).toBe(201);
    expect(accepted.json()).toMatchObject({ status: "active", groupId, programId, childId: second.childId, contract: { method: "electronic", signedRole: "guardian" } });
    const started = await outboxEvents<{ enrollmentId: string }>(h.pool, "enrollment.enrollment.started");
    expect(started.at(-1)?.data).toEqual({ enrollmentId: accepted.json<{ id: string }>().id, groupId, programId, childId: second.childId });

    // The provider expels the child, saying why (it must: the family reads it and may answer);
    // the contract ends, the seat goes to the confirmed next in line.
    const enrollmentId = accepted.json<{ id: string }>().id;
    const unexplained = await h.app.inject({ method: "POST", url: `/enrollments/${enrollmentId}/end`, headers: w.provider, payload: { reason: "expelled" } });
    expect(unexplained.json()).toMatchObject({ status: 422, code: "ENROLLMENT.EXPULSION_REASON_REQUIRED", invalidParams: [{ name: "body.comment" }] });
    const reason = "три пропуска подряд без уважительной причины и без ответа на звонки";
    const ended = await h.app.inject({ method: "POST", url: `/enrollments/${enrollmentId}/end`, headers: w.provider, payload: { reason: "expelled", comment: reason } });
    expect(ended.statusCode, ended.body).toBe(200);
    expect(ended.json()).toMatchObject({ status: "ended", endReason: "expelled", expulsion: { reason, answer: null } });
    // The family reads the reason and answers it; the provider reads the answer. The words stay here: the event says "expelled" only.
    expect((await h.app.inject({ method: "GET", url: `/enrollments/${enrollmentId}`, headers: second.guardian })).json()).toMatchObject({ expulsion: { reason } });
    const answer = "ребёнок болел, справки переданы педагогу 12 сентября";
    const answered = await h.app.inject({ method: "POST", url: `/enrollments/${enrollmentId}/expulsion-answer`, headers: second.guardian, payload: { text: answer } });
    expect(answered.json()).toMatchObject({ expulsion: { reason, answer: { text: answer } } });
    expect((await h.app.inject({ method: "GET", url: `/enrollments/${enrollmentId}`, headers: w.provider })).json()).toMatchObject({ expulsion: { answer: { text: answer } } });
    expect((await h.app.inject({ method: "POST", url: `/enrollments/${enrollmentId}/expulsion-answer`, headers: first.guardian, payload: { text: answer } })).json()).toMatchObject({
      code: "ENROLLMENT.NOT_YOUR_CHILD",
    });
    expect(JSON.stringify((await outboxEvents(h.pool, "enrollment.enrollment.ended")).at(-1))).not.toContain("пропуска");
    expect(ended.json<{ contract: { terminatedAt: string | null } }>().contract.terminatedAt).not.toBeNull();
    const next = await h.app.inject({ method: "GET", url: `/applications/${id1}`, headers: first.guardian });
    expect(next.json()).toMatchObject({ status: "offered" });
    expect((await outboxEvents<{ reason: string }>(h.pool, "enrollment.enrollment.ended")).at(-1)?.data.reason).toBe("expelled");

    // Declining passes the seat on; the last child is still pending review, so it waits.
    const offer1 = next.json<{ offers: { id: string }[] }>().offers[0]!;
    const declined = await h.app.inject({ method: "POST", url: `/offers/${offer1.id}/decline`, headers: first.guardian });
    expect(declined.json()).toMatchObject({ status: "declined" });
    expect((await h.app.inject({ method: "GET", url: `/applications/${id3}`, headers: third.guardian })).json()).toMatchObject({ status: "queued" });
  });

  it("offers expire at the end of the local day in Kamchatka and the review deadline skips the weekend", async () => {
    // Friday 2 October 2026, 23:30 in Kamchatka (11:30 UTC). Earlier tests' leftovers moved on first.
    await sweep(h.pool, new Date("2026-10-02T11:29:00Z"));
    h.clock.set("2026-10-02T11:30:00Z");
    const { groupId } = await openGroup(h, w, { capacity: 1 });
    const a = await child(h, w);
    const b = await child(h, w);
    const ra = await apply(h, a.guardian, a.childId, groupId);
    const rb = await apply(h, b.guardian, b.childId, groupId);
    // Three working days after Friday: Monday, Tuesday, Wednesday; the end of Wednesday 7 October local.
    expect(ra.json()).toMatchObject({ reviewDueAt: "2026-10-07T12:00:00.000Z" });
    const [idA, idB] = [ra.json<{ id: string }>().id, rb.json<{ id: string }>().id];

    // One minute before the end of Wednesday local: nothing moves.
    expect(await sweep(h.pool, new Date("2026-10-07T11:59:00Z"))).toMatchObject({ autoConfirmed: 0 });
    // At local midnight both move on; the head gets the seat, with 3 days from Thursday 8 October local.
    h.clock.set("2026-10-07T12:00:00Z");
    expect(await sweep(h.pool, h.clock())).toMatchObject({ autoConfirmed: 2 });
    const offered = (await h.app.inject({ method: "GET", url: `/applications/${idA}`, headers: a.guardian })).json<{ status: string; review: string; offers: { deadline: string }[] }>();
    expect(offered).toMatchObject({ status: "offered", review: "auto_confirmed" });
    expect(offered.offers[0]!.deadline).toBe("2026-10-11T12:00:00.000Z");

    // Sunday 11 October 23:59:59 local: still open; at midnight it expires and B gets the seat.
    expect(await sweep(h.pool, new Date("2026-10-11T11:59:59Z"))).toMatchObject({ expiredOffers: 0 });
    h.clock.set("2026-10-11T12:00:00Z");
    expect(await sweep(h.pool, h.clock())).toMatchObject({ expiredOffers: 1 });
    expect((await h.app.inject({ method: "GET", url: `/applications/${idA}`, headers: a.guardian })).json()).toMatchObject({ status: "expired" });
    expect((await h.app.inject({ method: "GET", url: `/applications/${idB}`, headers: b.guardian })).json()).toMatchObject({ status: "offered" });
    const lapsed = await outboxEvents<{ reason: string; applicationId: string }>(h.pool, "enrollment.offer.lapsed");
    expect(lapsed.at(-1)?.data).toMatchObject({ reason: "expired", applicationId: idA });
  });

  it("refuses with a problem that says why, and writes nothing", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const { groupId, programId } = await openGroup(h, w, { ageRange: { min: 7, max: 9 } });
    const other = await world(h);
    const young = await child(h, w, { birthYear: 2021 });
    const ok = await child(h, w, { birthYear: 2017 });
    const suspended = await child(h, w);
    await h.deliver(CertificateSuspended, { municipalityId: w.municipalityId, aggregateId: suspended.certificateId }, { certificateId: suspended.certificateId, number: "x", childId: suspended.childId, reason: "documents_check" });
    const foreign = await child(h, other);
    const clash = await openGroup(h, w, { slots: [{ weekday: 2, start: "16:00", end: "17:00" }] });
    const sameProgram = await openGroup(h, w, { programId });
    const closed = await openGroup(h, w, { acceptingApplications: false });

    const before = await counts(h.pool);
    const cases: [string, Awaited<ReturnType<typeof apply>>, number, string][] = [
      ["schema", await h.app.inject({ method: "POST", url: "/applications", headers: ok.guardian, payload: { childId: "nope", groupId, extra: 1 } }), 400, "HTTP.VALIDATION"],
      ["no token", await h.app.inject({ method: "POST", url: "/applications", payload: { childId: ok.childId, groupId } }), 401, "AUTH.UNAUTHENTICATED"],
      ["provider role", await apply(h, w.provider, ok.childId, groupId), 403, "AUTH.FORBIDDEN_ROLE"],
      ["unknown group", await apply(h, ok.guardian, ok.childId, randomUUID()), 404, "ENROLLMENT.GROUP_NOT_FOUND"],
      ["no certificate", await apply(h, w.operator, randomUUID(), groupId), 422, "ENROLLMENT.CERTIFICATE_MISSING"],
      ["not the guardian", await apply(h, ok.guardian, young.childId, groupId), 403, "ENROLLMENT.NOT_YOUR_CHILD"],
      ["other tenant's group", await apply(h, foreign.guardian, foreign.childId, groupId), 403, "AUTH.OTHER_MUNICIPALITY"],
      ["certificate of another municipality", await apply(h, w.operator, foreign.childId, groupId), 422, "ENROLLMENT.CERTIFICATE_OTHER_MUNICIPALITY"],
      ["suspended", await apply(h, suspended.guardian, suspended.childId, groupId), 422, "ENROLLMENT.CERTIFICATE_SUSPENDED"],
      ["too young", await apply(h, young.guardian, young.childId, groupId), 422, "ENROLLMENT.AGE_OUTSIDE_RANGE"],
      ["group not accepting", await apply(h, ok.guardian, ok.childId, closed.groupId), 409, "ENROLLMENT.GROUP_NOT_ACCEPTING"],
    ];
    for (const [what, res, status, code] of cases) {
      expect(res.statusCode, `${what}: ${res.body}`).toBe(status);
      expect(res.headers["content-type"], what).toContain("application/problem+json");
      expect(res.json<{ code: string }>().code, what).toBe(code);
    }
    expect(await counts(h.pool)).toEqual(before);

    // Same program twice; more open applications than allowed (3); a clash with an active enrollment.
    expect((await apply(h, ok.guardian, ok.childId, groupId)).statusCode).toBe(201);
    expect((await apply(h, ok.guardian, ok.childId, sameProgram.groupId)).json()).toMatchObject({ code: "ENROLLMENT.ALREADY_APPLYING_TO_PROGRAM", status: 409 });
    expect((await apply(h, ok.guardian, ok.childId, (await openGroup(h, w, { slots: [{ weekday: 5, start: "10:00", end: "11:00" }] })).groupId)).statusCode).toBe(201);
    const thirdGroup = await openGroup(h, w, { capacity: 5, slots: [{ weekday: 2, start: "15:30", end: "16:30" }] });
    const third = await apply(h, ok.guardian, ok.childId, thirdGroup.groupId);
    expect(third.statusCode).toBe(201);
    const fourth = await apply(h, ok.guardian, ok.childId, (await openGroup(h, w)).groupId);
    expect(fourth.json()).toMatchObject({ code: "ENROLLMENT.TOO_MANY_OPEN_APPLICATIONS", status: 422 });

    // Enrolled in thirdGroup (Tuesday 15:30-16:30): the clash group (Tuesday 16:00-17:00) is refused.
    const thirdId = third.json<{ id: string }>().id;
    await h.app.inject({ method: "POST", url: `/applications/${thirdId}/review`, headers: w.provider, payload: { decision: "confirmed" } });
    const offerId = (await h.app.inject({ method: "GET", url: `/applications/${thirdId}`, headers: ok.guardian })).json<{ offers: { id: string }[] }>().offers[0]!.id;
    const signed = await h.app.inject({ method: "POST", url: `/offers/${offerId}/acceptance`, headers: w.operator, payload: { method: "in_person" } });
    expect(signed.json()).toMatchObject({ contract: { method: "in_person", signedRole: "operator" } });
    const mid = await counts(h.pool);
    expect((await apply(h, ok.guardian, ok.childId, clash.groupId)).json()).toMatchObject({ code: "ENROLLMENT.SCHEDULE_CLASH" });
    expect(await counts(h.pool)).toEqual(mid);
  });

  it("returns the first answer to a retried submit with the same Idempotency-Key", async () => {
    const { groupId } = await openGroup(h, w);
    const c = await child(h, w);
    const key = randomUUID();
    const first = await apply(h, c.guardian, c.childId, groupId, { "idempotency-key": key });
    const again = await apply(h, c.guardian, c.childId, groupId, { "idempotency-key": key });
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.json()).toEqual(first.json());
    const { rows } = await h.pool.query("SELECT 1 FROM applications WHERE child_id = $1", [c.childId]);
    expect(rows).toHaveLength(1);
  });

  it("asks the registry to finance an accounting certificate for a financed program and waits for its answer", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const { groupId } = await openGroup(h, w, { fundingKind: "financed", capacity: 5 });
    const yes = await child(h, w);
    const no = await child(h, w);
    const ry = await apply(h, yes.guardian, yes.childId, groupId);
    const rn = await apply(h, no.guardian, no.childId, groupId);
    expect(ry.json()).toMatchObject({ status: "awaiting_financing" });
    const [idYes, idNo] = [ry.json<{ id: string }>().id, rn.json<{ id: string }>().id];
    const requests = await outboxEvents<{ certificateId: string; requestId: string; year: number }>(h.pool, "enrollment.certificate.conversion-requested");
    expect(requests.map((r) => r.data)).toEqual(expect.arrayContaining([{ certificateId: yes.certificateId, requestId: idYes, year: 2026 }]));

    await h.deliver(CertificateFinanced, { municipalityId: w.municipalityId, aggregateId: yes.certificateId }, {
      certificateId: yes.certificateId, number: "x", childId: yes.childId, year: 2026, nominal: 1_500_000, currency: "RUB", requestId: idYes,
    });
    await h.deliver(CertificateConversionRefused, { municipalityId: w.municipalityId, aggregateId: no.certificateId }, {
      certificateId: no.certificateId, number: "x", childId: no.childId, year: 2026, reason: "cap_reached", requestId: idNo,
    });
    expect((await h.app.inject({ method: "GET", url: `/applications/${idYes}`, headers: yes.guardian })).json()).toMatchObject({ status: "queued" });
    expect((await h.app.inject({ method: "GET", url: `/applications/${idNo}`, headers: no.guardian })).json()).toMatchObject({
      status: "refused",
      refusal: { code: "ENROLLMENT.FINANCING_REFUSED" },
    });
    // A consumer's change reaches the Redis index when the syncer copies the group (positions are
    // answered from Redis alone; see PositionLookups).
    await h.sync();
    expect((await h.app.inject({ method: "GET", url: `/applications/${idNo}/position`, headers: no.guardian })).json()).toMatchObject({ code: "ENROLLMENT.APPLICATION_NOT_IN_QUEUE" });
    // The financed certificate applies to another financed group directly.
    const other = await openGroup(h, w, { fundingKind: "financed", slots: [{ weekday: 6, start: "10:00", end: "11:00" }] });
    expect((await apply(h, yes.guardian, yes.childId, other.groupId)).json()).toMatchObject({ status: "queued" });
  });

  it("re-ranks a child whose category changes, and offers seats when the capacity is raised", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const { groupId, programId } = await openGroup(h, w, { capacity: 1 });
    const kids = [await child(h, w, { categories: ["large_family"] }), await child(h, w), await child(h, w)];
    const ids: string[] = [];
    for (const k of kids) ids.push((await apply(h, k.guardian, k.childId, groupId)).json<{ id: string }>().id);
    expect((await position(ids[2]!, kids[2]!.guardian)).position).toBe(3);
    await h.deliver(ChildCategoriesChanged, { municipalityId: w.municipalityId, aggregateId: kids[2]!.childId }, {
      childId: kids[2]!.childId,
      certificateId: kids[2]!.certificateId,
      categories: [{ code: "orphan", validFrom: "2026-01-01", validUntil: "2027-12-31" }],
    });
    await h.sync();
    expect(await position(ids[2]!, kids[2]!.guardian)).toMatchObject({ position: 1, category: { code: "orphan" } });
    // The event says the place moved, not by which category (special-categories.int.test.ts).
    const reranked = (await outboxEvents<Record<string, unknown>>(h.pool, "enrollment.application.reranked")).at(-1)?.data;
    expect(reranked).toMatchObject({ applicationId: ids[2] });
    expect(JSON.stringify(reranked)).not.toContain("orphan");

    for (const id of ids) await h.app.inject({ method: "POST", url: `/applications/${id}/review`, headers: w.provider, payload: { decision: "confirmed" } });
    const offered = async () => (await h.pool.query<{ id: string }>("SELECT id FROM applications WHERE group_id = $1 AND status = 'offered' ORDER BY id", [groupId])).rows.map((r) => r.id);
    expect(await offered()).toEqual([ids[2]]);
    await h.deliver(GroupUpdated, { municipalityId: w.municipalityId, aggregateId: groupId }, { ...groupData(w, groupId, { capacity: 3, programId }), reason: "edited" });
    expect((await offered()).sort()).toEqual([...ids].sort());
  });

  it("rebuilds and checks the Redis index on demand (the office of its municipality, the region for all)", async () => {
    await h.sync();
    const check = await h.app.inject({ method: "GET", url: "/queues/check", headers: w.operator });
    expect(check.statusCode, check.body).toBe(200);
    expect(check.json()).toMatchObject({ mismatches: [] });
    await h.redis.del(h.queues.key((await h.pool.query<{ groupId: string }>(`SELECT group_id AS "groupId" FROM applications WHERE status = 'queued' LIMIT 1`)).rows[0]!.groupId));
    expect((await h.app.inject({ method: "GET", url: "/queues/check", headers: w.region })).json<{ mismatches: unknown[] }>().mismatches).toHaveLength(1);
    const rebuilt = await h.app.inject({ method: "POST", url: "/queues/rebuild", headers: w.region });
    expect(rebuilt.statusCode, rebuilt.body).toBe(200);
    expect((await h.app.inject({ method: "GET", url: "/queues/check", headers: w.region })).json()).toMatchObject({ mismatches: [] });
    expect((await h.app.inject({ method: "POST", url: "/queues/rebuild", headers: w.provider })).json()).toMatchObject({ code: "AUTH.FORBIDDEN_ROLE" });
    const other = await world(h);
    expect((await h.app.inject({ method: "GET", url: `/queues/check?municipalityId=${w.municipalityId}`, headers: other.operator })).json()).toMatchObject({ code: "AUTH.OTHER_MUNICIPALITY" });
  });
});
