import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTransaction } from "@kruzhok/postgres";
import { accountId } from "../src/domain/ledger";
import { findAccounts } from "../src/store/ledger";
import { billMonths } from "../src/usecases/billing-batch";
import { enrolled, financed, group, issued, paymentsHarness, summarised, summary, world, type PaymentsHarness } from "./fixtures/payments";

// A municipality's billing rules take effect from a date and nothing is overwritten (issue #18),
// as attendance's rules: each setting is a version; the rules in force on a day are the version
// with the latest effective date not after it (of two with one date, the later set), and every
// reader takes the version of the day it decides about: a bill the month's first day, a
// reservation each month's first day, a financing request its own day.

const rulesBody = { normativePerHour: 20_000, coPayment: true, unexcused: "not_charged" as const };
const completed = { ...rulesBody, benefits: [], compensation: [], exemptCategories: [], prorateNominal: false };

interface History {
  year: number;
  on: string;
  current: { effectiveFrom: string | null; rules: { normativePerHour: number } | null };
  versions: { effectiveFrom: string; rules: { normativePerHour: number }; setAt: string | null; setBy: string; inForce: boolean }[];
}

describe("billing rules from a date, with their history", () => {
  let h: PaymentsHarness;
  beforeAll(async () => {
    // Noon of Tuesday 1 September 2026 in Kamchatka.
    h = await paymentsHarness("pay-billing-rules");
  });
  afterAll(async () => h?.close());

  const as = (municipalityId: string) => h.as({ role: "municipality", municipalityId });
  const url = (municipalityId: string, year = 2026) => `/municipalities/${municipalityId}/years/${year}/billing-rules`;
  const history = async (municipalityId: string, year = 2026) => {
    const res = await h.app.inject({ method: "GET", url: `${url(municipalityId, year)}/versions`, headers: await as(municipalityId) });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<History>();
  };

  it("answers null until set, then the rules in force with their date and defaults; only to the municipality's staff", async () => {
    h.clock.set("2026-09-01T00:00:00Z");
    const w = await world(h);
    const official = await as(w.municipalityId);
    const before = await h.app.inject({ method: "GET", url: url(w.municipalityId), headers: official });
    expect(before.statusCode, before.body).toBe(200);
    expect(before.json()).toEqual({ year: 2026, on: "2026-09-01", effectiveFrom: null, rules: null });

    const set = await h.app.inject({ method: "PUT", url: url(w.municipalityId), headers: official, payload: { ...rulesBody, benefits: [{ category: "large_family", percent: 30 }] } });
    expect(set.statusCode, set.body).toBe(200);
    // The rules at the top level, as before versions were kept, with the version's date and author.
    expect(set.json()).toMatchObject({ ...completed, benefits: [{ category: "large_family", percent: 30 }], effectiveFrom: "2026-09-01" });
    const after = await h.app.inject({ method: "GET", url: url(w.municipalityId), headers: official });
    expect(after.json()).toEqual({ year: 2026, on: "2026-09-01", effectiveFrom: "2026-09-01", rules: { ...completed, benefits: [{ category: "large_family", percent: 30 }] } });

    const neighbour = await h.as({ role: "municipality", municipalityId: randomUUID() });
    const guardian = await h.as({ role: "guardian", municipalityId: w.municipalityId, guardianId: randomUUID() });
    const provider = await h.as({ role: "provider", municipalityId: w.municipalityId, providerId: randomUUID() });
    for (const headers of [neighbour, guardian, provider]) {
      expect((await h.app.inject({ method: "GET", url: url(w.municipalityId), headers })).statusCode).toBe(403);
      expect((await h.app.inject({ method: "GET", url: `${url(w.municipalityId)}/versions`, headers })).statusCode).toBe(403);
      expect((await h.app.inject({ method: "PUT", url: url(w.municipalityId), headers, payload: rulesBody })).statusCode).toBe(403);
    }
    const operator = await h.as({ role: "operator", municipalityId: w.municipalityId });
    expect((await h.app.inject({ method: "PUT", url: url(w.municipalityId), headers: operator, payload: rulesBody })).statusCode, "an operator reads the rules but does not set them").toBe(403);
    expect((await h.app.inject({ method: "GET", url: `${url(w.municipalityId)}/versions`, headers: operator })).statusCode).toBe(200);
  });

  it("refuses a change back-dated or outside its year, naming the field, and keeps nothing of it", async () => {
    h.clock.set("2026-09-01T00:00:00Z");
    const w = await world(h);
    const official = await as(w.municipalityId);
    const past = await h.app.inject({ method: "PUT", url: url(w.municipalityId), headers: official, payload: { ...rulesBody, effectiveFrom: "2026-08-31" } });
    expect(past.statusCode).toBe(422);
    expect(past.json()).toMatchObject({ code: "PAYMENTS.RULES_RETROACTIVE", invalidParams: [{ name: "body.effectiveFrom" }] });
    const elsewhere = await h.app.inject({ method: "PUT", url: url(w.municipalityId), headers: official, payload: { ...rulesBody, effectiveFrom: "2027-01-10" } });
    expect(elsewhere.statusCode).toBe(422);
    expect(elsewhere.json()).toMatchObject({ code: "PAYMENTS.RULES_DATE_OUTSIDE_YEAR", invalidParams: [{ name: "body.effectiveFrom" }] });
    const kept = await history(w.municipalityId);
    expect(kept.versions).toEqual([]);
    expect(kept.current).toEqual({ effectiveFrom: null, rules: null });
  });

  it("keeps every version, and bills, reserves and finances each day by the version in force on it", async () => {
    h.clock.set("2026-09-01T00:00:00Z");
    const w = await world(h, { nominal: 1_000_000, budget: 100_000_000 });
    const official = await as(w.municipalityId);
    // From today: 200.00 an hour. From 1 November: 100.00 an hour, and certificates financed from then on prorated.
    const first = await h.app.inject({ method: "PUT", url: url(w.municipalityId), headers: official, payload: rulesBody });
    expect(first.statusCode, first.body).toBe(200);
    const second = await h.app.inject({ method: "PUT", url: url(w.municipalityId), headers: official, payload: { ...rulesBody, normativePerHour: 10_000, prorateNominal: true, effectiveFrom: "2026-11-01" } });
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json()).toMatchObject({ effectiveFrom: "2026-11-01", normativePerHour: 10_000 });

    const kept = await history(w.municipalityId);
    expect(kept.on).toBe("2026-09-01");
    expect(kept.versions.map((v) => [v.effectiveFrom, v.rules.normativePerHour, v.inForce])).toEqual([
      ["2026-11-01", 10_000, false],
      ["2026-09-01", 20_000, true],
    ]);
    expect(kept.current).toMatchObject({ effectiveFrom: "2026-09-01", rules: { normativePerHour: 20_000 } });
    expect(kept.versions.every((v) => v.setBy !== "" && v.setAt !== null)).toBe(true);
    const on = async (date: string) => (await h.app.inject({ method: "GET", url: `${url(w.municipalityId)}?on=${date}`, headers: official })).json<{ effectiveFrom: string | null; rules: { normativePerHour: number } | null }>();
    expect(await on("2026-10-31")).toMatchObject({ effectiveFrom: "2026-09-01", rules: { normativePerHour: 20_000 } });
    expect(await on("2026-11-01")).toMatchObject({ effectiveFrom: "2026-11-01", rules: { normativePerHour: 10_000 } });
    expect(await on("2026-08-31"), "before the first version: none").toEqual({ year: 2026, on: "2026-08-31", effectiveFrom: null, rules: null });

    // A lesson: 90 minutes at 250.00 an hour = 375.00; the certificate pays 300.00 of it until
    // November, 150.00 from November on; the family co-pays the rest.
    const g = await group(h, w);
    const c = await issued(h, w);
    await financed(h, w, c);
    // Enrolled on 1 October: October's lessons reserved at 300.00 (31 days: 5 weeks x 2), November's and December's at 150.00 (61 days: 9 weeks x 2).
    h.clock.set("2026-10-01T00:00:00Z");
    const enrollmentId = await enrolled(h, w, g, c);
    const [reserved] = await findAccounts(h.pool, [accountId("certificate", c.certificateId, 2026)]);
    expect(reserved!.debitsPending).toBe(5 * 2 * 30_000 + 9 * 2 * 15_000);

    // Financing prorates by the version in force on the request's day: not on 15 October, from 1 November on (2 months of 12 left on 15 November).
    h.clock.set("2026-10-15T00:00:00Z");
    const october = await issued(h, w);
    await financed(h, w, october);
    h.clock.set("2026-11-15T00:00:00Z");
    const november = await issued(h, w);
    await financed(h, w, november);
    const credited = async (certificateId: string) => (await findAccounts(h.pool, [accountId("certificate", certificateId, 2026)]))[0]!.creditsPosted;
    expect(await credited(october.certificateId)).toBe(1_000_000);
    expect(await credited(november.certificateId)).toBe(166_667);

    // Billed in December, when the later version is in force: October by the version in force on 1 October, November by November's.
    h.clock.set("2026-12-03T00:00:00Z");
    const billed = async (id: string, month: string) =>
      (await h.pool.query<{ certificate: number; family: number }>(`SELECT certificate_amount AS certificate, family_amount AS family FROM billed_months WHERE enrollment_id = $1 AND month = $2`, [id, month])).rows[0];
    await summarised(h, w, summary(g, c, enrollmentId, "2026-10", { billable: 8 }));
    await summarised(h, w, summary(g, c, enrollmentId, "2026-11", { billable: 8 }));
    expect(await billed(enrollmentId, "2026-10")).toEqual({ certificate: 8 * 30_000, family: 8 * 7_500 });
    expect(await billed(enrollmentId, "2026-11")).toEqual({ certificate: 8 * 15_000, family: 8 * 22_500 });
    // A correction of October, billed after November's version took effect, still by October's.
    await summarised(h, w, summary(g, c, enrollmentId, "2026-10", { version: 2, supersedes: 1, billable: 6 }));
    expect(await billed(enrollmentId, "2026-10")).toEqual({ certificate: 6 * 30_000, family: 6 * 7_500 });

    // The consumers' batch mode decides the same.
    const other = await enrolled(h, w, g, october);
    const items = (["2026-10", "2026-11"] as const).map((month) => {
      const s = summary(g, october, other, month, { billable: 8 });
      const eventId = randomUUID();
      return { municipalityId: w.municipalityId, summary: { ...s, billable: 8, unexcused: 0, version: 1 }, cause: { correlationId: eventId, causationId: eventId } };
    });
    const count = await withTransaction(h.pool, (tx) => billMonths({ pool: h.pool, clock: () => h.clock() }, tx, items));
    expect(count.together).toBe(2);
    expect(await billed(other, "2026-10")).toEqual({ certificate: 8 * 30_000, family: 8 * 7_500 });
    expect(await billed(other, "2026-11")).toEqual({ certificate: 8 * 15_000, family: 8 * 22_500 });
  });

  it("sets a year ahead from its first day unless told; a later version with the same date supersedes the earlier, and both stay", async () => {
    h.clock.set("2026-09-01T00:00:00Z");
    const w = await world(h);
    const official = await as(w.municipalityId);
    const ahead = await h.app.inject({ method: "PUT", url: url(w.municipalityId, 2027), headers: official, payload: rulesBody });
    expect(ahead.statusCode, ahead.body).toBe(200);
    expect(ahead.json()).toMatchObject({ effectiveFrom: "2027-01-01" });
    h.clock.set("2026-09-02T00:00:00Z");
    const corrected = await h.app.inject({ method: "PUT", url: url(w.municipalityId, 2027), headers: official, payload: { ...rulesBody, normativePerHour: 22_000 } });
    expect(corrected.json()).toMatchObject({ effectiveFrom: "2027-01-01", normativePerHour: 22_000 });
    const kept = await history(w.municipalityId, 2027);
    expect(kept.on).toBe("2027-01-01");
    expect(kept.versions.map((v) => [v.effectiveFrom, v.rules.normativePerHour, v.inForce])).toEqual([
      ["2027-01-01", 22_000, true],
      ["2027-01-01", 20_000, false],
    ]);
    expect((await h.app.inject({ method: "GET", url: url(w.municipalityId, 2027), headers: official })).json()).toMatchObject({ effectiveFrom: "2027-01-01", rules: { normativePerHour: 22_000 } });
  });

  it("a year set before versions were kept is one version from 1 January, by nobody known", async () => {
    h.clock.set("2026-09-01T00:00:00Z");
    const w = await world(h);
    // As migration 0008 left a row of before it.
    await h.pool.query(
      `INSERT INTO billing_rules (municipality_id, year, effective_from, normative_per_hour, co_payment, unexcused, set_at, set_by) VALUES ($1, 2026, '2026-01-01', 20000, true, 'not_charged', NULL, 'unknown')`,
      [w.municipalityId],
    );
    const kept = await history(w.municipalityId);
    expect(kept.versions).toEqual([{ effectiveFrom: "2026-01-01", rules: completed, setAt: null, setBy: "unknown", inForce: true }]);
  });
});
