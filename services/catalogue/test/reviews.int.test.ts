import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CertificateIssued, EnrollmentEnded, EnrollmentStarted } from "@kruzhok/contracts";
import { catalogueHarness, counts, createGroup, createProgram, publish, world, type CatalogueHarness, type World } from "./fixtures/catalogue";

type Problem = { code: string; status: number; invalidParams?: { name: string }[] };

describe("reviews: a guardian rates a program once per ended enrollment", () => {
  let h: CatalogueHarness;
  let w: World;
  let programId: string;
  let groupId: string;
  beforeAll(async () => {
    h = await catalogueHarness("cat-reviews");
    w = await world(h);
    programId = await createProgram(h, w);
    groupId = await createGroup(h, w, programId);
    await publish(h, w, programId);
  });
  afterAll(async () => {
    await h.close();
  });

  /** A child with a certificate and a guardian, enrolled in the program. */
  async function enrolledChild(): Promise<{ guardianId: string; enrollment: { enrollmentId: string; groupId: string; programId: string; childId: string } }> {
    const childId = randomUUID();
    const guardianId = randomUUID();
    const certificateId = randomUUID();
    await h.deliver(CertificateIssued, { municipalityId: w.municipalityId, aggregateId: certificateId }, {
      certificateId, number: "4101-000123", childId, birthYear: 2016, ageBand: "7-10", categories: [], funding: "accounting", guardianIds: [guardianId],
    });
    const enrollment = { enrollmentId: randomUUID(), groupId, programId, childId };
    await h.deliver(EnrollmentStarted, { municipalityId: w.municipalityId, aggregateId: enrollment.enrollmentId }, enrollment);
    return { guardianId, enrollment };
  }

  const review = async (guardianId: string, payload: Record<string, unknown>) =>
    h.app.inject({ method: "POST", url: `/programs/${programId}/reviews`, headers: await h.as({ role: "guardian", municipalityId: w.municipalityId, guardianId }), payload });

  it("takes a review after the child completed or left, once per enrollment, and shows the average and count", async () => {
    const a = await enrolledChild();
    const early = await review(a.guardianId, { enrollmentId: a.enrollment.enrollmentId, rating: 5, text: "Отлично" });
    expect(early.json<Problem>()).toMatchObject({ status: 409, code: "CATALOGUE.ENROLLMENT_NOT_ENDED" });

    await h.deliver(EnrollmentEnded, { municipalityId: w.municipalityId, aggregateId: a.enrollment.enrollmentId }, { ...a.enrollment, reason: "completed" });
    const first = await review(a.guardianId, { enrollmentId: a.enrollment.enrollmentId, rating: 5, text: "Сын в восторге, собрал первого робота" });
    expect(first.statusCode).toBe(201);
    const twice = await review(a.guardianId, { enrollmentId: a.enrollment.enrollmentId, rating: 1, text: "Ещё раз" });
    expect(twice.json<Problem>()).toMatchObject({ status: 409, code: "CATALOGUE.REVIEW_EXISTS" });

    h.clock.set("2026-09-02T09:00:00Z");
    const b = await enrolledChild();
    await h.deliver(EnrollmentEnded, { municipalityId: w.municipalityId, aggregateId: b.enrollment.enrollmentId }, { ...b.enrollment, reason: "withdrawn" });
    expect((await review(b.guardianId, { enrollmentId: b.enrollment.enrollmentId, rating: 2, text: "Неудобное время" })).statusCode).toBe(201);

    const shown = (await h.app.inject({ method: "GET", url: `/programs/${programId}/reviews` })).json<{ average: number; count: number; items: { rating: number }[] }>();
    expect(shown).toMatchObject({ average: 3.5, count: 2 });
    expect(shown.items.map((r) => r.rating)).toEqual([2, 5]); // newest first
    const found = (await h.app.inject({ method: "GET", url: `/search?municipalityId=${w.municipalityId}` })).json<{ items: { id: string; rating: unknown }[] }>();
    expect(found.items.find((i) => i.id === programId)?.rating).toEqual({ average: 3.5, count: 2 });
  });

  it("refuses another family's enrollment, a rating outside 1-5 and a non-guardian, writing nothing", async () => {
    const a = await enrolledChild();
    await h.deliver(EnrollmentEnded, { municipalityId: w.municipalityId, aggregateId: a.enrollment.enrollmentId }, { ...a.enrollment, reason: "expelled" });
    const before = await counts(h.pool);
    const stranger = await review(randomUUID(), { enrollmentId: a.enrollment.enrollmentId, rating: 4, text: "Хорошо" });
    expect(stranger.json<Problem>()).toMatchObject({ status: 403, code: "CATALOGUE.NOT_YOUR_CHILD" });
    const stars = await review(a.guardianId, { enrollmentId: a.enrollment.enrollmentId, rating: 6, text: "Супер" });
    expect(stars.json<Problem>()).toMatchObject({ status: 400, invalidParams: [{ name: "body.rating" }] });
    const unknown = await review(a.guardianId, { enrollmentId: randomUUID(), rating: 4, text: "Хорошо" });
    expect(unknown.json<Problem>()).toMatchObject({ status: 404, code: "CATALOGUE.ENROLLMENT_NOT_FOUND" });
    const provider = await h.app.inject({ method: "POST", url: `/programs/${programId}/reviews`, headers: w.provider, payload: { enrollmentId: a.enrollment.enrollmentId, rating: 5, text: "Мы лучшие" } });
    expect(provider.json<Problem>()).toMatchObject({ status: 403, code: "AUTH.FORBIDDEN_ROLE" });
    expect(await counts(h.pool)).toEqual(before);
  });
});
