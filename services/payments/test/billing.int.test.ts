import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountId } from "../src/domain/ledger";
import { available, findAccounts } from "../src/store/ledger";
import { enrolled, financed, group, issued, newId, outboxEvents, paymentsHarness, summarised, summary, world, type Certificate, type PaymentsHarness, type World } from "./fixtures/payments";

let h: PaymentsHarness;
beforeAll(async () => {
  h = await paymentsHarness("payments-billing", "2026-10-05T00:00:00Z");
});
afterAll(() => h.close());

async function rules(w: World, body: { normativePerHour: number; coPayment: boolean; unexcused: "charged" | "not_charged" }) {
  const answer = await h.app.inject({ method: "PUT", url: `/municipalities/${w.municipalityId}/years/2026/billing-rules`, headers: await h.as({ role: "municipality", municipalityId: w.municipalityId }), payload: body });
  expect(answer.statusCode, answer.body).toBe(200);
}

async function certificateBalance(c: Certificate) {
  const [account] = await findAccounts(h.pool, [accountId("certificate", c.certificateId, 2026)]);
  return account!;
}

async function billed(enrollmentId: string) {
  const { rows } = await h.pool.query(`SELECT version, lessons, certificate_amount AS "certificate", family_amount AS "family", uncovered_amount AS "uncovered" FROM billed_months WHERE enrollment_id = $1`, [enrollmentId]);
  return rows[0] as { version: number; lessons: number; certificate: number; family: number; uncovered: number };
}

async function line(enrollmentId: string) {
  const { rows } = await h.pool.query(
    `SELECT r.number, r.status, l.lessons, l.certificate_amount AS "certificate", l.family_amount AS "family" FROM register_lines l JOIN registers r ON r.id = l.register_id WHERE l.enrollment_id = $1 ORDER BY r.number`,
    [enrollmentId],
  );
  return rows as { number: number; status: string; lessons: number; certificate: number; family: number }[];
}

/** A municipality with rules, a financed group (37 500 a 90-minute lesson), a child with a funded certificate of 1 000 000, enrolled on 1 December. */
async function setup(r: { normativePerHour?: number; coPayment?: boolean; unexcused?: "charged" | "not_charged" } = {}, nominal = 1_000_000) {
  // The rules are set in October, before the November they bill: a version takes effect from the
  // day it is set, and a month is billed by the version in force on its first day.
  h.clock.set("2026-10-05T00:00:00Z");
  const w = await world(h, { nominal, budget: 100_000_000 });
  await rules(w, { normativePerHour: r.normativePerHour ?? 20_000, coPayment: r.coPayment ?? true, unexcused: r.unexcused ?? "not_charged" });
  const g = await group(h, w);
  const c = await issued(h, w);
  await financed(h, w, c);
  h.clock.set("2026-12-01T00:00:00Z");
  const enrollmentId = await enrolled(h, w, g, c);
  return { w, g, c, enrollmentId };
}

describe("billing providers from attendance's month summaries", () => {
  it("charges lessons at the lesson price; the certificate pays up to the normative and the family co-pays the rest", async () => {
    const { w, g, c, enrollmentId } = await setup({ normativePerHour: 20_000, coPayment: true });
    await summarised(h, w, summary(g, c, enrollmentId, "2026-11", { billable: 8 }));
    // 8 lessons x 37 500 = 300 000; the certificate 8 x 30 000; the family 8 x 7 500.
    expect(await billed(enrollmentId)).toEqual({ version: 1, lessons: 8, certificate: 240_000, family: 60_000, uncovered: 0 });
    expect((await certificateBalance(c)).debitsPosted).toBe(240_000);
    const [family] = await findAccounts(h.pool, [accountId("family_receivable", c.childId, 2026)]);
    expect(family!.debitsPosted).toBe(60_000);
    expect(await line(enrollmentId)).toEqual([{ number: 1, status: "formed", lessons: 8, certificate: 240_000, family: 60_000 }]);
  });

  it("without co-payment the family pays nothing and the rest is uncovered", async () => {
    const { w, g, c, enrollmentId } = await setup({ normativePerHour: 20_000, coPayment: false });
    await summarised(h, w, summary(g, c, enrollmentId, "2026-11", { billable: 8 }));
    expect(await billed(enrollmentId)).toEqual({ version: 1, lessons: 8, certificate: 240_000, family: 0, uncovered: 60_000 });
  });

  it("excused absences are never charged; unexcused ones as the municipality rules", async () => {
    const charged = await setup({ normativePerHour: 25_000, unexcused: "charged" });
    await summarised(h, charged.w, summary(charged.g, charged.c, charged.enrollmentId, "2026-11", { present: 6, billable: 6, unexcused: 2, excused: { illness: 1, vacation: 0, quarantine: 0, repairs: 0, rehabilitation: 0 } }));
    expect((await billed(charged.enrollmentId)).lessons).toBe(8);
    const free = await setup({ normativePerHour: 25_000, unexcused: "not_charged" });
    await summarised(h, free.w, summary(free.g, free.c, free.enrollmentId, "2026-11", { present: 6, billable: 6, unexcused: 2 }));
    expect(await billed(free.enrollmentId)).toMatchObject({ lessons: 6, certificate: 6 * 37_500 });
  });

  it("disputed marks, and unconfirmed ones where confirmation is required, are not billed", async () => {
    const { w, g, c, enrollmentId } = await setup({ normativePerHour: 25_000 });
    await summarised(h, w, summary(g, c, enrollmentId, "2026-11", { present: 8, disputed: 2, unconfirmed: 1, confirmationRequired: true, billable: 5 }));
    expect(await billed(enrollmentId)).toMatchObject({ lessons: 5, certificate: 5 * 37_500 });
  });

  it("the same month delivered twice is billed once; a corrected summary bills the difference, down or up", async () => {
    const { w, g, c, enrollmentId } = await setup({ normativePerHour: 20_000, coPayment: true });
    await summarised(h, w, summary(g, c, enrollmentId, "2026-11", { billable: 8 }));
    await summarised(h, w, summary(g, c, enrollmentId, "2026-11", { billable: 8 }));
    expect((await certificateBalance(c)).debitsPosted).toBe(240_000);

    await summarised(h, w, summary(g, c, enrollmentId, "2026-11", { version: 2, supersedes: 1, billable: 6 }));
    expect(await billed(enrollmentId)).toEqual({ version: 2, lessons: 6, certificate: 180_000, family: 45_000, uncovered: 0 });
    const balance = await certificateBalance(c);
    expect(balance.debitsPosted - balance.creditsPosted + 1_000_000).toBe(180_000);
    // An older version arriving late changes nothing.
    await summarised(h, w, summary(g, c, enrollmentId, "2026-11", { version: 1, billable: 8 }));
    expect((await billed(enrollmentId)).version).toBe(2);

    await summarised(h, w, summary(g, c, enrollmentId, "2026-11", { version: 3, supersedes: 2, billable: 9 }));
    expect(await billed(enrollmentId)).toEqual({ version: 3, lessons: 9, certificate: 270_000, family: 67_500, uncovered: 0 });
    expect(await line(enrollmentId)).toEqual([{ number: 1, status: "formed", lessons: 9, certificate: 270_000, family: 67_500 }]);
    const events = await outboxEvents<{ enrollmentId: string; version: number }>(h.pool, "payments.month.billed");
    expect(events.filter((e) => e.data.enrollmentId === enrollmentId).map((e) => e.data.version)).toEqual([1, 2, 3]);
  });

  it("a certificate that runs short pays what it has; the family co-pays the shortfall where allowed", async () => {
    const { w, g, c, enrollmentId } = await setup({ normativePerHour: 20_000, coPayment: true }, 100_000);
    await summarised(h, w, summary(g, c, enrollmentId, "2026-11", { billable: 8 }));
    expect(await billed(enrollmentId)).toEqual({ version: 1, lessons: 8, certificate: 100_000, family: 200_000, uncovered: 0 });
    expect(available(await certificateBalance(c))).toBe(0);
  });

  it("an enrollment reserves its expected cost; billing shrinks the reservation and the end releases it", async () => {
    const { w, g, c, enrollmentId } = await setup({ normativePerHour: 20_000 });
    // From 1 December to 31 December: 2 lessons a week x 5 weeks x 30 000.
    let balance = await certificateBalance(c);
    expect(balance.debitsPending).toBe(300_000);
    await summarised(h, w, summary(g, c, enrollmentId, "2026-11", { billable: 4 }));
    balance = await certificateBalance(c);
    expect([balance.debitsPosted, balance.debitsPending]).toEqual([120_000, 180_000]);
    const { EnrollmentEnded } = await import("@kruzhok/contracts");
    await h.deliver(EnrollmentEnded, { municipalityId: w.municipalityId, aggregateId: enrollmentId }, { enrollmentId, groupId: g.groupId, programId: newId(), childId: c.childId, reason: "withdrawn" });
    balance = await certificateBalance(c);
    expect([balance.debitsPosted, balance.debitsPending]).toEqual([120_000, 0]);
    // Each change announced, as statistics counts the money reserved.
    const changes = (await outboxEvents<{ enrollmentId: string; held: number; seq: number; released: boolean }>(h.pool, "payments.reservation.changed")).filter((e) => e.data.enrollmentId === enrollmentId);
    expect(changes.map((e) => [e.data.held, e.data.seq, e.data.released])).toEqual([[300_000, 1, false], [180_000, 2, false], [0, 2, true]]);
  });
});

describe("benefits cut the family's part while the proof is valid", () => {
  it("a large family with a valid certificate gets 30 % of its co-payment from the benefits account; an expired one nothing; a correction corrects the benefit too", async () => {
    h.clock.set("2026-10-05T00:00:00Z");
    const w = await world(h, { nominal: 1_000_000, budget: 100_000_000 });
    const municipality = await h.as({ role: "municipality", municipalityId: w.municipalityId });
    const answer = await h.app.inject({
      method: "PUT",
      url: `/municipalities/${w.municipalityId}/years/2026/billing-rules`,
      headers: municipality,
      payload: { normativePerHour: 20_000, coPayment: true, unexcused: "not_charged", benefits: [{ category: "large_family", percent: 30 }, { category: "orphan", percent: 100 }], compensation: [200, 500, 700] },
    });
    expect(answer.statusCode, answer.body).toBe(200);
    const g = await group(h, w);
    const { ChildCategoriesChanged } = await import("@kruzhok/contracts");
    const withProof = async (validUntil: string) => {
      const c = await issued(h, w);
      await h.deliver(ChildCategoriesChanged, { municipalityId: w.municipalityId, aggregateId: c.childId }, { childId: c.childId, certificateId: c.certificateId, categories: [{ code: "large_family", validFrom: "2025-12-01", validUntil }] });
      await financed(h, w, c);
      return { c, enrollmentId: await enrolled(h, w, g, c) };
    };
    const valid = await withProof("2026-11-30");
    const expired = await withProof("2026-10-31");
    await summarised(h, w, summary(g, valid.c, valid.enrollmentId, "2026-11", { billable: 8 }));
    await summarised(h, w, summary(g, expired.c, expired.enrollmentId, "2026-11", { billable: 8 }));
    const benefitOf = async (enrollmentId: string) => (await h.pool.query<{ benefit: number; family: number }>(`SELECT benefit_amount AS benefit, family_amount AS family FROM billed_months WHERE enrollment_id = $1`, [enrollmentId])).rows[0]!;
    // The family's part: 8 x 7 500 = 60 000; 30 % of it = 18 000.
    expect(await benefitOf(valid.enrollmentId)).toEqual({ benefit: 18_000, family: 60_000 });
    expect(await benefitOf(expired.enrollmentId)).toEqual({ benefit: 0, family: 60_000 });
    const [owed] = await findAccounts(h.pool, [accountId("family_receivable", valid.c.childId, 2026)]);
    expect(owed!.debitsPosted - owed!.creditsPosted).toBe(42_000);

    await summarised(h, w, summary(g, valid.c, valid.enrollmentId, "2026-11", { version: 2, supersedes: 1, billable: 6 }));
    expect(await benefitOf(valid.enrollmentId)).toEqual({ benefit: 13_500, family: 45_000 });
    const announced = (await outboxEvents<{ enrollmentId: string; version: number; familyAmount: number; benefitAmount: number }>(h.pool, "payments.month.billed")).filter((e) => e.data.enrollmentId === valid.enrollmentId);
    expect(announced.map((e) => [e.data.version, e.data.familyAmount, e.data.benefitAmount])).toEqual([[1, 60_000, 18_000], [2, 45_000, 13_500]]);
    const [after] = await findAccounts(h.pool, [accountId("family_receivable", valid.c.childId, 2026)]);
    expect(after!.debitsPosted - after!.creditsPosted).toBe(31_500);
    const [benefits] = await findAccounts(h.pool, [accountId("benefits", w.municipalityId, 2026)]);
    expect(benefits!.debitsPosted - benefits!.creditsPosted).toBe(13_500);
  });
});

describe("compensation for low-income families", () => {
  it("applied for by the guardian, it is the share of the child's order of what remains after the benefit; the parts add up to the family's part", async () => {
    h.clock.set("2026-10-05T00:00:00Z");
    const w = await world(h, { nominal: 1_000_000, budget: 100_000_000 });
    await h.app.inject({
      method: "PUT",
      url: `/municipalities/${w.municipalityId}/years/2026/billing-rules`,
      headers: await h.as({ role: "municipality", municipalityId: w.municipalityId }),
      payload: { normativePerHour: 20_000, coPayment: true, unexcused: "not_charged", benefits: [{ category: "large_family", percent: 30 }], compensation: [200, 500, 700] },
    });
    const g = await group(h, w);
    const { ChildCategoriesChanged } = await import("@kruzhok/contracts");
    const c = await issued(h, w);
    await h.deliver(ChildCategoriesChanged, { municipalityId: w.municipalityId, aggregateId: c.childId }, { childId: c.childId, certificateId: c.certificateId, categories: [{ code: "large_family", validFrom: "2026-01-01", validUntil: "2026-12-31" }] });
    await financed(h, w, c);
    const enrollmentId = await enrolled(h, w, g, c);
    const guardian = await h.as({ role: "guardian", municipalityId: w.municipalityId, guardianId: c.guardianId });
    const applied = await h.app.inject({ method: "PUT", url: `/certificates/${c.certificateId}/compensation`, headers: guardian, payload: { childOrder: 3 } });
    expect(applied.json()).toEqual({ certificateId: c.certificateId, childOrder: 3 });
    await summarised(h, w, summary(g, c, enrollmentId, "2026-11", { billable: 8 }));
    const { rows } = await h.pool.query(`SELECT family_amount AS family, benefit_amount AS benefit, compensation_amount AS compensation FROM billed_months WHERE enrollment_id = $1`, [enrollmentId]);
    // 60 000 - 30 % (18 000) = 42 000; the third child's 700 thousandths of it = 29 400; the family pays 12 600.
    expect(rows[0]).toEqual({ family: 60_000, benefit: 18_000, compensation: 29_400 });
    const [owed] = await findAccounts(h.pool, [accountId("family_receivable", c.childId, 2026)]);
    expect(owed!.debitsPosted - owed!.creditsPosted).toBe(12_600);
  });
});

describe("the exemption of displaced families", () => {
  it("a family forced to leave Ukraine pays nothing for one year from the child's enrollment: the benefits account pays its part", async () => {
    h.clock.set("2026-10-05T00:00:00Z");
    const w = await world(h, { nominal: 1_000_000, budget: 100_000_000 });
    await h.app.inject({
      method: "PUT",
      url: `/municipalities/${w.municipalityId}/years/2026/billing-rules`,
      headers: await h.as({ role: "municipality", municipalityId: w.municipalityId }),
      payload: { normativePerHour: 20_000, coPayment: true, unexcused: "not_charged", exemptCategories: ["displaced"] },
    });
    const g = await group(h, w);
    const { ChildCategoriesChanged } = await import("@kruzhok/contracts");
    const c = await issued(h, w);
    await h.deliver(ChildCategoriesChanged, { municipalityId: w.municipalityId, aggregateId: c.childId }, { childId: c.childId, certificateId: c.certificateId, categories: [{ code: "displaced", validFrom: "2026-01-01", validUntil: "2028-12-31" }] });
    await financed(h, w, c);
    const enrollmentId = await enrolled(h, w, g, c);
    await summarised(h, w, summary(g, c, enrollmentId, "2026-11", { billable: 8 }));
    const { rows } = await h.pool.query(`SELECT family_amount AS family, benefit_amount AS benefit FROM billed_months WHERE enrollment_id = $1`, [enrollmentId]);
    expect(rows[0]).toEqual({ family: 60_000, benefit: 60_000 });
    const [owed] = await findAccounts(h.pool, [accountId("family_receivable", c.childId, 2026)]);
    expect(owed!.debitsPosted - owed!.creditsPosted).toBe(0);
  });
});
