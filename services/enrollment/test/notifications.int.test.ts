import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CertificateConversionRefused, ProgramPublished } from "@kruzhok/contracts";
import { sweep } from "../src/usecases/sweeps";
import { apply, child, enrollmentHarness, openGroup, world, type EnrollmentHarness, type World } from "./fixtures/enrollment";

/**
 * Enrollment writes notifications to families into its outbox, in the transaction of the change
 * they announce; the registry delivers them. Each test reads the outbox rows of its own ids.
 */

interface Notice {
  id: string;
  type: string;
  aggregateId: string;
  municipalityId: string;
  data: Record<string, unknown> & { guardianId: string; applicationId?: string; offerId?: string };
}

describe("notifications written by enrollment", () => {
  let h: EnrollmentHarness;
  let w: World;
  beforeAll(async () => {
    h = await enrollmentHarness("enr-notify");
    w = await world(h);
  });
  afterAll(async () => {
    await h.close();
  });

  const notices = async (type: string, match: (n: Notice) => boolean = () => true): Promise<Notice[]> => {
    const { rows } = await h.pool.query<{ payload: string; topic: string }>("SELECT payload, topic FROM outbox WHERE type = $1 ORDER BY seq", [
      `enrollment.notification.${type}`,
    ]);
    for (const row of rows) expect(row.topic).toBe("kruzhok.notifications.v1");
    return rows.map((r) => JSON.parse(r.payload) as Notice).filter(match);
  };
  const of = (applicationId: string) => (n: Notice) => n.data.applicationId === applicationId;

  /** A group of a program the catalogue announced, so messages can name it. */
  const programGroup = async (spec: Parameters<typeof openGroup>[2] = {}) => {
    const programId = randomUUID();
    await h.deliver(ProgramPublished, { municipalityId: w.municipalityId, aggregateId: programId }, {
      programId,
      providerId: w.providerId,
      title: "Робототехника для начинающих",
      direction: "technical",
      ageRange: { min: 7, max: 14 },
      totalHours: 72,
      weeklyHours: 2,
      pricePerHour: 25_000,
      currency: "RUB",
      fundingKind: spec.fundingKind ?? "free",
      certification: null,
    });
    return openGroup(h, w, { ...spec, programId });
  };
  const review = (id: string, decision: "confirmed" | "rejected", comment?: string) =>
    h.app.inject({ method: "POST", url: `/applications/${id}/review`, headers: w.provider, payload: { decision, ...(comment && { comment }) } });
  const idOf = (res: { json<T>(): T }) => res.json<{ id: string }>().id;

  it("tells the first five of a queue once, and the sixth when it moves up to fifth", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const { groupId } = await programGroup({ capacity: 1 });
    const kids = [];
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const k = await child(h, w);
      kids.push(k);
      const res = await apply(h, k.guardian, k.childId, groupId);
      expect(res.statusCode, res.body).toBe(201);
      ids.push(idOf(res));
    }
    const told = await notices("position-approaching", (n) => n.data.groupId === groupId);
    expect(told.map((n) => [n.data.applicationId, n.data.position, n.data.threshold])).toEqual(ids.slice(0, 5).map((id, i) => [id, i + 1, 5]));
    // Addressed by id only: the guardian who applied, the municipality's zone and currency, the program's title.
    expect(told[0]).toMatchObject({
      aggregateId: kids[0]!.guardianId,
      municipalityId: w.municipalityId,
      data: { guardianId: kids[0]!.guardianId, childId: kids[0]!.childId, currency: "RUB", timeZone: "Asia/Kamchatka", locale: null, programTitle: "Робототехника для начинающих" },
    });

    // The second withdraws: the sixth becomes fifth and is told; nobody is told twice.
    const withdrawn = await h.app.inject({ method: "POST", url: `/applications/${ids[1]}/withdrawal`, headers: kids[1]!.guardian });
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    const after = await notices("position-approaching", (n) => n.data.groupId === groupId);
    expect(after).toHaveLength(6);
    expect(after.at(-1)?.data).toMatchObject({ applicationId: ids[5], position: 5 });
  });

  it("tells the family of an offer in the same transaction as the offer, with its deadline", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const { groupId } = await programGroup({ capacity: 1 });
    const k = await child(h, w);
    const id = idOf(await apply(h, k.guardian, k.childId, groupId));
    expect(await notices("offer-made", of(id))).toHaveLength(0);
    const reviewed = await review(id, "confirmed");
    expect(reviewed.json()).toMatchObject({ status: "offered" });
    const offer = reviewed.json<{ offers: { id: string; deadline: string }[] }>().offers[0]!;
    const [made, ...more] = await notices("offer-made", of(id));
    expect(more).toHaveLength(0);
    expect(made).toMatchObject({ aggregateId: k.guardianId, data: { offerId: offer.id, deadline: offer.deadline, programTitle: "Робототехника для начинающих" } });
  });

  it("addresses every guardian of the child when an operator applied for it", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const { groupId } = await programGroup({ capacity: 1 });
    const k = await child(h, w);
    const id = idOf(await apply(h, w.operator, k.childId, groupId));
    await review(id, "confirmed");
    expect((await notices("offer-made", of(id))).map((n) => n.data.guardianId)).toEqual([k.guardianId]);
  });

  it("reminds the family once, 24 hours before the offer's deadline, from the sweep", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const { groupId } = await programGroup({ capacity: 1 });
    const k = await child(h, w);
    const id = idOf(await apply(h, k.guardian, k.childId, groupId));
    const offer = (await review(id, "confirmed")).json<{ offers: { id: string; deadline: string }[] }>().offers[0]!;
    expect(offer.deadline).toBe("2026-09-04T12:00:00.000Z");

    // The sweep covers the whole database (other tests' offers too): count this offer's reminders.
    await sweep(h.pool, new Date("2026-09-03T11:59:00Z"));
    expect(await notices("offer-expiring", of(id))).toHaveLength(0);
    expect((await sweep(h.pool, new Date("2026-09-03T12:00:00Z"))).expiringNotices).toBeGreaterThanOrEqual(1);
    await sweep(h.pool, new Date("2026-09-04T06:00:00Z"));
    const [reminder, ...more] = await notices("offer-expiring", of(id));
    expect(more).toHaveLength(0);
    expect(reminder).toMatchObject({ aggregateId: k.guardianId, data: { offerId: offer.id, deadline: offer.deadline } });

    // Past the deadline the offer expires; no reminder follows.
    expect((await sweep(h.pool, new Date("2026-09-04T12:00:00Z"))).expiredOffers).toBeGreaterThanOrEqual(1);
    expect((await h.app.inject({ method: "GET", url: `/applications/${id}`, headers: k.guardian })).json()).toMatchObject({ status: "expired" });
    expect(await notices("offer-expiring", of(id))).toHaveLength(1);
  });

  it("sends no reminder for an offer made within the lead of its deadline: the offer's own message named it", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const { groupId } = await programGroup({ capacity: 1 });
    const k = await child(h, w);
    const id = idOf(await apply(h, k.guardian, k.childId, groupId));
    const offer = (await review(id, "confirmed")).json<{ offers: { deadline: string }[] }>().offers[0]!;
    // 75 hours from offer to deadline; with a 96-hour lead the offer was made inside it.
    const lead = { offerExpiringLeadMs: 96 * 3_600_000 };
    await sweep(h.pool, new Date("2026-09-04T11:00:00Z"), lead);
    expect(offer.deadline).toBe("2026-09-04T12:00:00.000Z");
    expect(await notices("offer-expiring", of(id))).toHaveLength(0);
  });

  it("tells the family of a refusal by the provider (its words stay in the application), and of a refused financing", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const { groupId } = await programGroup({ capacity: 1 });
    const k = await child(h, w);
    const id = idOf(await apply(h, k.guardian, k.childId, groupId));
    expect((await review(id, "rejected", "Группа для детей с опытом")).json()).toMatchObject({ status: "rejected" });
    expect((await notices("application-refused", of(id))).map((n) => n.data)).toEqual([
      expect.objectContaining({ guardianId: k.guardianId, reason: "ENROLLMENT.REJECTED_BY_PROVIDER", explained: true }),
    ]);
    expect(JSON.stringify(await notices("application-refused", of(id)))).not.toContain("Группа для детей с опытом");

    const financed = await programGroup({ fundingKind: "financed", capacity: 5 });
    const f = await child(h, w);
    const fid = idOf(await apply(h, f.guardian, f.childId, financed.groupId));
    expect(await notices("application-refused", of(fid))).toHaveLength(0);
    await h.deliver(CertificateConversionRefused, { municipalityId: w.municipalityId, aggregateId: f.certificateId }, {
      certificateId: f.certificateId, number: "x", childId: f.childId, year: 2026, reason: "cap_reached", requestId: fid,
    });
    expect((await notices("application-refused", of(fid))).map((n) => n.data)).toEqual([
      expect.objectContaining({ guardianId: f.guardianId, reason: "ENROLLMENT.FINANCING_REFUSED", explained: false }),
    ]);
  });

  it("tells the family when the enrollment ends, with the local date", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const { groupId, programId } = await programGroup({ capacity: 1 });
    const k = await child(h, w);
    const id = idOf(await apply(h, k.guardian, k.childId, groupId));
    const offer = (await review(id, "confirmed")).json<{ offers: { id: string }[] }>().offers[0]!;
    const accepted = await h.app.inject({ method: "POST", url: `/offers/${offer.id}/acceptance`, headers: k.guardian, payload: {} });
    expect(accepted.statusCode, accepted.body).toBe(201);
    const enrollmentId = idOf(accepted);
    // 13:30 UTC on 1 October is already 2 October in Kamchatka.
    h.clock.set("2026-10-01T13:30:00Z");
    const ended = await h.app.inject({ method: "POST", url: `/enrollments/${enrollmentId}/end`, headers: w.provider, payload: { reason: "expelled", comment: "нарушение правил техники безопасности в мастерской" } });
    expect(ended.statusCode, ended.body).toBe(200);
    const told = await notices("enrollment-ended", (n) => n.data.enrollmentId === enrollmentId);
    expect(told.map((n) => n.data)).toEqual([
      expect.objectContaining({ guardianId: k.guardianId, groupId, programId, reason: "expelled", endedOn: "2026-10-02", programTitle: "Робототехника для начинающих" }),
    ]);
  });
});
