import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CertificateFunded, FinancingQueued, LessonMarked, MarkReviewed, MonthBilled, MonthSummarised, ReservationChanged, SignalRaised, SignalResolved } from "@kruzhok/contracts";
import { newEvent } from "@kruzhok/messaging";
import { withTransaction } from "@kruzhok/postgres";
import { DEV_PSEUDONYM_KEY } from "../src/config";
import { batchHandler } from "../src/messaging/handlers";
import { MIN_CELL, cell, statisticsHarness, type StatisticsHarness } from "./fixtures/statistics";
import { municipality } from "./fixtures/world";

// One municipality's October as attendance and payments announce it: 30 certificates funded
// (12 of them after waiting in the financing queue, 3 more still waiting), two lessons marked
// (one mark changed by a resolved dispute), every enrollment's month summarised and billed (one
// reopened and corrected), and two fraud signals. What statistics publishes of it, and what it
// hides.

describe("aggregates of attendance and payments events", () => {
  let h: StatisticsHarness;
  let municipalityId: string;
  const region = "21";
  const children = Array.from({ length: 30 }, () => ({ childId: randomUUID(), certificateId: randomUUID(), enrollmentId: randomUUID() }));
  const providerId = randomUUID();
  const groupId = randomUUID();

  beforeAll(async () => {
    h = await statisticsHarness("stat-money-attendance", { clockStart: "2026-09-30T07:00:00Z" });
    municipalityId = await municipality(h, region, 10_000);
  });
  afterAll(async () => {
    await h.close();
  });

  const m = () => ({ municipalityId, aggregateId: randomUUID() });
  const lesson = async (startsAt: string, statuses: ("present" | "absent")[]) => {
    const lessonId = randomUUID();
    h.clock.set(new Date(Date.parse(startsAt) + 5_400_000).toISOString());
    await h.deliver(LessonMarked, { municipalityId, aggregateId: lessonId }, {
      lessonId, groupId, providerId, date: startsAt.slice(0, 10), startsAt, endsAt: new Date(Date.parse(startsAt) + 3_600_000).toISOString(), kind: "class", onSchedule: true,
      marks: children.map((c, i) => ({ childId: c.childId, enrollmentId: c.enrollmentId, status: statuses[i]!, previous: null })),
    });
    return lessonId;
  };

  it("counts money committed and waiting, marks, closed months' lessons, bills and signals, hiding amounts with their counts", async () => {
    // Funding: 12 queued on the 30th and funded on October 1st with the other 18; 3 more queued on the 2nd.
    for (const c of children.slice(0, 12)) await h.deliver(FinancingQueued, m(), { certificateId: c.certificateId, year: 2026, amount: 1_500_000, reason: "budget_exhausted" });
    h.clock.set("2026-10-01T08:00:00Z");
    for (const c of children) await h.deliver(CertificateFunded, m(), { certificateId: c.certificateId, year: 2026, amount: 1_500_000, currency: "RUB", coefficient: 1 });
    // Every child enrolled on the 1st reserves 1,200,000 of the year's lessons.
    const reservation = (i: number, held: number, seq: number, released = false) =>
      h.deliver(ReservationChanged, { municipalityId, aggregateId: children[i]!.enrollmentId }, { enrollmentId: children[i]!.enrollmentId, certificateId: children[i]!.certificateId, year: 2026, held, missing: 0, seq, released });
    for (let i = 0; i < 30; i++) await reservation(i, 1_200_000, 1);
    h.clock.set("2026-10-02T08:00:00Z");
    for (let i = 0; i < 3; i++) await h.deliver(FinancingQueued, m(), { certificateId: randomUUID(), year: 2026, amount: 1_500_000, reason: "queue_ahead" });

    // Lessons: on the 6th 20 present and 10 absent; on the 13th 25 present, 5 absent, and a dispute resolved as absent.
    const statuses = (present: number) => children.map((_, i) => (i < present ? "present" : "absent"));
    await lesson("2026-10-06T13:00:00Z", statuses(20));
    const second = await lesson("2026-10-13T13:00:00Z", statuses(25));
    h.clock.set("2026-10-14T09:00:00Z");
    await h.deliver(MarkReviewed, { municipalityId, aggregateId: second }, { lessonId: second, childId: children[0]!.childId, enrollmentId: children[0]!.enrollmentId, review: "resolved", status: "absent" });
    const signalIds = [randomUUID(), randomUUID()];
    for (const signalId of signalIds) {
      await h.deliver(SignalRaised, { municipalityId, aggregateId: signalId }, { signalId, kind: "overlapping_lessons", childId: null, groupIds: [groupId], providerIds: [providerId], lessonIds: [second], evidence: {}, causedAt: "2026-10-13T14:30:00Z" });
    }
    h.clock.set("2026-10-15T07:00:00Z");
    await h.deliver(SignalResolved, { municipalityId, aggregateId: signalIds[0]! }, { signalId: signalIds[0]!, kind: "overlapping_lessons", outcome: "dismissed", raisedAt: "2026-10-13T14:30:00Z", resolvedAt: "2026-10-15T07:00:00Z" });

    // November 5th: October closed. 20 children present twice, 4 present and excused once, 6 present and unexcused once; child 0's month reopened: one unexcused.
    h.clock.set("2026-11-05T07:00:00Z");
    const summary = (i: number, version: number, present: number, excused: number, unexcused: number) =>
      h.deliver(MonthSummarised, { municipalityId, aggregateId: children[i]!.enrollmentId }, {
        enrollmentId: children[i]!.enrollmentId, childId: children[i]!.childId, groupId, programId: null, providerId, month: "2026-10", version, supersedes: version > 1 ? version - 1 : null, kind: "class",
        scheduled: 2, present, excused: { illness: excused, vacation: 0, quarantine: 0, repairs: 0, rehabilitation: 0 }, unexcused, unmarked: 0, disputed: 0, unconfirmed: 0, billable: present, confirmationRequired: false,
      });
    const bill = (i: number, version: number, certificateAmount: number, familyAmount: number, benefitAmount: number) =>
      h.deliver(MonthBilled, { municipalityId, aggregateId: children[i]!.enrollmentId }, {
        enrollmentId: children[i]!.enrollmentId, certificateId: children[i]!.certificateId, providerId, month: "2026-10", version, lessons: 2, certificateAmount, familyAmount, uncoveredAmount: 0,
        benefitAmount, compensationAmount: 0, currency: "RUB", registerId: randomUUID(),
      });
    for (let i = 0; i < 30; i++) {
      await summary(i, 1, i < 20 ? 2 : 1, i >= 20 && i < 24 ? 1 : 0, i >= 24 ? 1 : 0);
      await bill(i, 1, 150_000, i >= 25 ? 30_000 : 0, i >= 25 ? 15_000 : 0);
      await reservation(i, 1_050_000, 2);
    }
    // Child 29 left: its reservation released.
    await reservation(29, 0, 2, true);
    h.clock.set("2026-11-09T07:00:00Z");
    await summary(0, 2, 1, 0, 1);
    await bill(0, 2, 75_000, 0, 0);
    await h.publish();

    const at = (period: "day" | "month", start: string, measure: string, dims = "", scope: "municipality" | "region" = "municipality") =>
      cell(h.pool, { scope, scopeId: scope === "region" ? region : municipalityId, period, start, measure, dims });
    const october = "2026-10-01";
    for (const scope of ["municipality", "region"] as const) {
      const month = (measure: string, dims = "") => at("month", october, measure, dims, scope);
      expect(await month("money.committed")).toEqual({ value: 45_000_000, suppressed: false });
      expect(await month("money.committed.count")).toEqual({ value: 30, suppressed: false });
      expect(await month("money.budget")).toEqual({ value: 3_000_000_000, suppressed: false });
      // 3 still waiting at the month's end: hidden.
      expect(await month("financing.queued")).toEqual({ value: null, suppressed: true });
      expect(await month("attendance.marks", "status=present")).toEqual({ value: 44, suppressed: false });
      // 16 = the 6th's 10, shown, and the 13th's 6, hidden: the month would give the 6 back.
      expect(await month("attendance.marks", "status=absent")).toEqual({ value: null, suppressed: true });
      expect(await month("attendance.rate")).toEqual({ value: null, suppressed: true });
      expect(await month("attendance.lessons", "outcome=present")).toEqual({ value: 49, suppressed: false });
      expect(await month("attendance.lessons", "outcome=excused")).toEqual({ value: null, suppressed: true });
      expect(await month("attendance.lessons", "outcome=unexcused")).toEqual({ value: null, suppressed: true });
      expect(await month("bills")).toEqual({ value: 30, suppressed: false });
      expect(await month("money.spent")).toEqual({ value: 29 * 150_000 + 75_000, suppressed: false });
      expect(await month("money.family")).toEqual({ value: 5 * 30_000, suppressed: false });
      expect(await month("money.benefits")).toEqual({ value: 5 * 15_000, suppressed: false });
      expect(await month("signals", "kind=overlapping_lessons")).toEqual({ value: 2, suppressed: false });
      expect(await month("signals.resolved", "outcome=dismissed")).toEqual({ value: 1, suppressed: false });
      expect(await month("signals.open")).toEqual({ value: 1, suppressed: false });
    }
    expect(await at("day", "2026-10-14", "signals.open")).toEqual({ value: 2, suppressed: false });
    // Reserved: October ends with 30 reservations of 1,200,000; November (so far) with 29 of 1,050,000.
    expect(await at("month", october, "money.reserved")).toEqual({ value: 36_000_000, suppressed: false });
    expect(await at("month", october, "money.reserved.count")).toEqual({ value: 30, suppressed: false });
    expect(await at("month", "2026-11-01", "money.reserved")).toEqual({ value: 29 * 1_050_000, suppressed: false });
    expect(await at("day", "2026-11-05", "money.reserved.count")).toEqual({ value: 29, suppressed: false });
    // Days: the 30th, 12 waiting; October 1st, all funded.
    expect(await at("day", "2026-09-30", "financing.queued")).toEqual({ value: 12, suppressed: false });
    expect(await at("day", "2026-10-01", "financing.queued")).toEqual({ value: 0, suppressed: false });
    expect(await at("day", "2026-10-01", "money.committed")).toEqual({ value: 45_000_000, suppressed: false });
    // The 13th's 6 absent marks are hidden (and its rate); the 6th, decided before the 13th was
    // known, shows its 10, so the month's 16 is hidden instead.
    expect(await at("day", "2026-10-13", "attendance.marks", "status=absent")).toEqual({ value: null, suppressed: true });
    expect(await at("day", "2026-10-13", "attendance.rate")).toEqual({ value: null, suppressed: true });
    expect(await at("day", "2026-10-06", "attendance.marks", "status=absent")).toEqual({ value: 10, suppressed: false });
    expect(await at("day", "2026-10-06", "attendance.marks", "status=present")).toEqual({ value: 20, suppressed: false });
    expect(await at("day", "2026-10-06", "attendance.rate")).toEqual({ value: 0.6667, suppressed: false });
    // A closed month's figures are the month's, not a day's.
    expect(await at("day", october, "bills")).toBeUndefined();
    expect(await at("day", october, "attendance.lessons", "outcome=present")).toBeUndefined();

    // Nothing that names a person is stored.
    const dump = JSON.stringify((await h.pool.query("SELECT * FROM subject_events")).rows) + JSON.stringify((await h.pool.query("SELECT * FROM contributions")).rows);
    for (const c of children) for (const id of [c.childId, c.certificateId, c.enrollmentId]) expect(dump).not.toContain(id);
  });

  it("hides an amount wherever the count it sums over is hidden", async () => {
    // A second municipality of the region bills 4 months: its bills, and so its amounts, are hidden, and the region's with them.
    h.clock.set("2026-09-30T07:00:00Z");
    const small = await municipality(h, region, 2_000);
    h.clock.set("2026-11-10T07:00:00Z");
    for (let i = 0; i < 4; i++) {
      const enrollmentId = randomUUID();
      await h.deliver(MonthBilled, { municipalityId: small, aggregateId: enrollmentId }, {
        enrollmentId, certificateId: randomUUID(), providerId, month: "2026-10", version: 1, lessons: 2, certificateAmount: 150_000, familyAmount: 0, uncoveredAmount: 0, currency: "RUB", registerId: randomUUID(),
      });
    }
    await h.publish();
    const month = (scope: "municipality" | "region", scopeId: string, measure: string) => cell(h.pool, { scope, scopeId, period: "month", start: "2026-10-01", measure });
    expect(await month("municipality", small, "bills")).toEqual({ value: null, suppressed: true });
    // The region's total less the first municipality's would give the small one's back: one of them is hidden too.
    const complement = [await month("municipality", municipalityId, "bills"), await month("region", region, "bills")];
    expect(complement.filter((c) => c?.suppressed)).toHaveLength(1);
    for (const [scope, scopeId] of [["municipality", small], ["municipality", municipalityId], ["region", region]] as const) {
      const bills = await month(scope, scopeId, "bills");
      for (const measure of ["money.spent", "money.family", "money.benefits"]) expect((await month(scope, scopeId, measure))?.suppressed).toBe(bills!.suppressed);
    }
  });

  it("records a thousand lessons marked by whole groups in one transaction: a mark's subject is not locked (Postgres's lock table, 64 a connection, would not hold them)", async () => {
    // 15,000 marks: what six batches of a rebuild in flight at once (main.ts) would lock.
    const lessons = 1_000;
    const batch = Array.from({ length: lessons }, (_, i) => {
      const lessonId = randomUUID();
      const startsAt = new Date(Date.UTC(2026, 9, 20, 8, 0) + i * 60_000).toISOString();
      const marks = children.slice(0, 15).map((c) => ({ childId: c.childId, enrollmentId: c.enrollmentId, status: "present" as const, previous: null }));
      const event = newEvent(LessonMarked, { municipalityId, aggregateId: lessonId }, { lessonId, groupId, providerId, date: startsAt.slice(0, 10), startsAt, endsAt: startsAt, kind: "class", onSchedule: true, marks }, new Date(startsAt));
      return { contract: LessonMarked, event, topic: "kruzhok.attendance.v1", partition: 0, offset: String(i) };
    });
    const handler = batchHandler({ pool: h.pool, clock: h.clock, pseudonymKey: DEV_PSEUDONYM_KEY, minCell: MIN_CELL });
    await withTransaction(h.pool, (tx) => handler.handle(batch, { tx, logger: h.logger }));
    const { rows } = await h.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM subject_events WHERE kind = 'mark.recorded' AND at >= '2026-10-20' AND at < '2026-10-22'");
    expect(rows[0]!.n).toBe(lessons * 15);
  });
});
