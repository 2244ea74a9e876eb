import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChildCategoriesChanged } from "@kruzhok/contracts";
import { withTransaction } from "@kruzhok/postgres";
import { accountId } from "../src/domain/ledger";
import { billMonth } from "../src/usecases/billing";
import { billMonths, type SummaryToBill } from "../src/usecases/billing-batch";
import type { PaymentsDeps } from "../src/deps";
import { enrolled, financed, group, issued, outboxEvents, paymentsHarness, summary, world, type Certificate, type PaymentsHarness, type Summary, type World } from "./fixtures/payments";

// Billing a batch of summaries together (billMonths, the consumers' batch mode) must leave the
// books exactly as billing them one by one in the same order (billMonth): the same postings in
// the same order, balances, bills, reservations, register lines and events. Two worlds built the
// same way in one database, one billed each way, are compared with their ids replaced by roles.

let h: PaymentsHarness;
let deps: PaymentsDeps;
beforeAll(async () => {
  h = await paymentsHarness("payments-billing-batch", "2026-10-01T00:00:00Z");
  deps = { pool: h.pool, clock: () => h.clock() };
});
afterAll(() => h.close());

interface Built {
  w: World;
  roles: Map<string, string>;
  enrollments: string[];
  summaries: Summary[];
}

/**
 * A municipality with co-payment, a benefit and compensation; four groups of three providers
 * (financed twice, paid, free); children: one in two groups, one whose certificate runs short,
 * one with a large family's benefit and compensation, one never financed, one in the paid and
 * one in the free group. Every financed enrollment holds a reservation.
 */
async function build(): Promise<Built> {
  h.clock.set("2026-10-01T00:00:00Z");
  const w = await world(h, { nominal: 1_000_000, budget: 100_000_000 });
  const municipality = await h.as({ role: "municipality", municipalityId: w.municipalityId });
  const ruled = await h.app.inject({
    method: "PUT",
    url: `/municipalities/${w.municipalityId}/years/2026/billing-rules`,
    headers: municipality,
    payload: { normativePerHour: 20_000, coPayment: true, unexcused: "charged", benefits: [{ category: "large_family", percent: 30 }], compensation: [200, 500, 700] },
  });
  expect(ruled.statusCode, ruled.body).toBe(200);
  const g1 = await group(h, w);
  const g2 = await group(h, w, { pricePerHour: 30_000 });
  const paid = await group(h, w, { fundingKind: "paid", providerId: g1.providerId });
  const free = await group(h, w, { fundingKind: "free" });
  const certificates: Certificate[] = [];
  for (let i = 0; i < 6; i++) certificates.push(await issued(h, w));
  const [twice, short, family, unfinanced, payer, freeChild] = certificates as [Certificate, Certificate, Certificate, Certificate, Certificate, Certificate];
  await h.deliver(ChildCategoriesChanged, { municipalityId: w.municipalityId, aggregateId: family.childId }, {
    childId: family.childId,
    certificateId: family.certificateId,
    categories: [{ code: "large_family", validFrom: "2026-01-01", validUntil: "2026-12-31" }],
  });
  const guardian = await h.as({ role: "guardian", municipalityId: w.municipalityId, guardianId: family.guardianId });
  expect((await h.app.inject({ method: "PUT", url: `/certificates/${family.certificateId}/compensation`, headers: guardian, payload: { childOrder: 2 } })).statusCode).toBe(200);
  for (const c of [twice, short, family, payer, freeChild]) await financed(h, w, c);
  const e = {
    twiceA: await enrolled(h, w, g1, twice),
    twiceB: await enrolled(h, w, g2, twice),
    shortA: await enrolled(h, w, g1, short),
    shortB: await enrolled(h, w, g2, short),
    family: await enrolled(h, w, g1, family),
    unfinanced: await enrolled(h, w, g1, unfinanced),
    paid: await enrolled(h, w, paid, payer),
    free: await enrolled(h, w, free, freeChild),
  };
  const summaries: Summary[] = [
    summary(g1, twice, e.twiceA, "2026-10", { billable: 8 }),
    summary(g2, twice, e.twiceB, "2026-10", { billable: 7, unexcused: 1 }),
    summary(g1, short, e.shortA, "2026-10", { billable: 30, scheduled: 31, present: 30 }),
    summary(g2, short, e.shortB, "2026-10", { billable: 9 }),
    summary(g1, family, e.family, "2026-10", { billable: 8 }),
    summary(g1, unfinanced, e.unfinanced, "2026-10", { billable: 4 }),
    summary(paid, payer, e.paid, "2026-10", { billable: 8 }),
    summary(free, freeChild, e.free, "2026-10", { billable: 8 }),
    summary(g1, twice, e.twiceA, "2026-11", { billable: 6 }),
    // The same month again, then corrected: billMonth's own cases, in their places.
    summary(g1, twice, e.twiceA, "2026-11", { billable: 6 }),
    summary(g1, family, e.family, "2026-11", { billable: 5 }),
    summary(g1, twice, e.twiceA, "2026-11", { version: 2, supersedes: 1, billable: 4 }),
    summary(g2, twice, e.twiceB, "2026-11", { billable: 8 }),
  ];
  const roles = new Map<string, string>([
    [w.municipalityId, "municipality"],
    [accountId("budget", w.municipalityId, 2026), "budget"],
    [accountId("benefits", w.municipalityId, 2026), "benefits"],
    [accountId("compensations", w.municipalityId, 2026), "compensations"],
  ]);
  for (const [i, g] of [g1, g2, paid, free].entries()) {
    roles.set(g.groupId, `group${i}`);
    if (!roles.has(g.providerId)) roles.set(g.providerId, `provider${i}`);
    roles.set(accountId("provider_payable", g.providerId, 2026), `payable:${roles.get(g.providerId)}`);
  }
  for (const [i, c] of certificates.entries()) {
    roles.set(c.certificateId, `certificate${i}`);
    roles.set(c.childId, `child${i}`);
    roles.set(accountId("certificate", c.certificateId, 2026), `certificate-account${i}`);
    roles.set(accountId("family_receivable", c.childId, 2026), `family-account${i}`);
  }
  for (const [name, id] of Object.entries(e)) roles.set(id, `enrollment:${name}`);
  return { w, roles, enrollments: Object.values(e), summaries };
}

/** The world's books with every id replaced by its role (transfer, register and event ids by their order). */
async function books(b: Built): Promise<unknown> {
  const named = new Map(b.roles);
  const role = (id: string | null, kind: string): string | null => {
    if (id === null) return null;
    if (!named.has(id)) named.set(id, `${kind}#${[...named.values()].filter((v) => v.startsWith(`${kind}#`)).length}`);
    return named.get(id)!;
  };
  const query = async (text: string): Promise<unknown[]> => (await h.pool.query<Record<string, unknown>>(text, [b.w.municipalityId])).rows;
  const transfers = (await query(
    `SELECT id, debit_account_id AS debit, credit_account_id AS credit, amount::int, kind, code, pending_id AS pending, balancing_debit AS balancing FROM ledger_transfers WHERE municipality_id = $1 ORDER BY seq`,
  )) as { id: string; debit: string; credit: string; amount: number; kind: string; code: string; pending: string | null; balancing: boolean }[];
  const accounts = (await query(
    `SELECT id, debits_pending::int AS dp, debits_posted::int AS dq, credits_pending::int AS cp, credits_posted::int AS cq FROM ledger_accounts WHERE municipality_id = $1`,
  )) as { id: string }[];
  const bills = (await query(
    `SELECT enrollment_id AS e, month, version, lessons, certificate_amount::int AS c, family_amount::int AS f, uncovered_amount::int AS u, benefit_amount::int AS b, compensation_amount::int AS k, provider_id AS p, certificate_id AS cert FROM billed_months WHERE municipality_id = $1`,
  )) as { e: string; p: string; cert: string | null }[];
  const lines = (await query(
    `SELECT r.provider_id AS p, r.month, r.number, r.status, l.enrollment_id AS e, l.lessons, l.certificate_amount::int AS c, l.family_amount::int AS f FROM register_lines l JOIN registers r ON r.id = l.register_id WHERE r.municipality_id = $1`,
  )) as { p: string; e: string }[];
  const reservations = (await query(`SELECT enrollment_id AS e, year, amount::int, missing::int, seq, released, pending_id AS pending FROM reservations WHERE municipality_id = $1`)) as {
    e: string;
    pending: string | null;
  }[];
  const events = (await outboxEvents<Record<string, unknown>>(h.pool, "payments.month.billed")).filter((event) => event.municipalityId === b.w.municipalityId);
  const reservationEvents = (await outboxEvents<{ enrollmentId: string; certificateId: string }>(h.pool, "payments.reservation.changed")).filter((event) => event.municipalityId === b.w.municipalityId);
  const ordered = transfers.map((t) => ({ ...t, id: role(t.id, "transfer"), debit: role(t.debit, "account"), credit: role(t.credit, "account"), pending: role(t.pending, "transfer") }));
  const sorted = <T>(rows: T[]) => rows.map((r) => JSON.stringify(r)).sort();
  return {
    transfers: ordered,
    accounts: sorted(accounts.map((a) => ({ ...a, id: role(a.id, "account") }))),
    bills: sorted(bills.map((r) => ({ ...r, e: role(r.e, "enrollment"), p: role(r.p, "provider"), cert: role(r.cert, "certificate") }))),
    lines: sorted(lines.map((r) => ({ ...r, p: role(r.p, "provider"), e: role(r.e, "enrollment") }))),
    reservations: sorted(reservations.map((r) => ({ ...r, e: role(r.e, "enrollment"), pending: role(r.pending, "transfer") }))),
    events: events.map((event) => {
      const data = event.data as { enrollmentId: string; certificateId: string | null; providerId: string; registerId: string };
      return { ...data, enrollmentId: role(data.enrollmentId, "enrollment"), certificateId: role(data.certificateId, "certificate"), providerId: role(data.providerId, "provider"), registerId: role(data.registerId, "register") };
    }),
    reservationEvents: reservationEvents.map((event) => ({ ...event.data, enrollmentId: role(event.data.enrollmentId, "enrollment"), certificateId: role(event.data.certificateId, "certificate") })),
  };
}

const toBill = (b: Built): SummaryToBill[] => {
  return b.summaries.map((s) => {
    const eventId = randomUUID();
    return { municipalityId: b.w.municipalityId, summary: { ...s, billable: s.billable ?? 0, unexcused: s.unexcused ?? 0, version: s.version ?? 1 }, cause: { correlationId: eventId, causationId: eventId } };
  });
};

describe("billing a batch of month summaries together", () => {
  it("leaves the books as billing them one by one in the same order: postings and their order, balances, bills, reservations, register lines, events", async () => {
    const alone = await build();
    const together = await build();
    h.clock.set("2026-12-03T00:00:00Z");
    for (const item of toBill(alone)) await withTransaction(h.pool, (tx) => billMonth(deps, tx, item.municipalityId, item.summary, item.cause));
    const count = await withTransaction(h.pool, (tx) => billMonths(deps, tx, toBill(together)));
    // All but the repeat, the correction and the first benefit (whose account billMonth opens) together.
    expect(count).toEqual({ together: 10, alone: 3 });

    const expected = await books(alone);
    expect(await books(together)).toEqual(expected);
    // The scenario did what it is for: the short certificate ran out, the family's benefit and
    // compensation were posted, the correction and the repeat were billed once each.
    const codes = (expected as { transfers: { code: string; amount: number }[] }).transfers.map((t) => t.code);
    for (const code of ["lesson_charge", "co_payment", "benefit", "compensation", "reservation_billed", "lesson_charge_correction"]) expect(codes).toContain(code);
    expect((expected as { reservationEvents: { seq: number }[] }).reservationEvents.filter((e) => e.seq > 1).length).toBeGreaterThan(0);
    const { rows } = await h.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM billed_months WHERE municipality_id = $1`, [together.w.municipalityId]);
    expect(rows[0]!.n).toBe(together.summaries.length - 2);
  });

  it("a summary of a group payments has not heard of fails the batch, and nothing of the batch is kept (the runner then bills its events one by one)", async () => {
    const b = await build();
    h.clock.set("2026-12-03T00:00:00Z");
    const items = toBill(b);
    const unknown = { ...items[1]!, summary: { ...items[1]!.summary, groupId: randomUUID() } };
    const failed = await withTransaction(h.pool, (tx) => billMonths(deps, tx, [items[0]!, unknown, ...items.slice(2)])).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(String(failed)).toMatch(/not known to payments yet/);
    const { rows } = await h.pool.query<{ n: number }>(`SELECT (SELECT count(*) FROM billed_months WHERE municipality_id = $1)::int + (SELECT count(*) FROM ledger_transfers WHERE municipality_id = $1 AND code = 'lesson_charge')::int AS n`, [b.w.municipalityId]);
    expect(rows[0]!.n).toBe(0);
  });
});
