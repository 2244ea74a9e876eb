import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ApplicationSubmitted,
  CertificateFinanced,
  CertificateIssued,
  ContractSigned,
  EnrollmentStarted,
  GroupOpened,
  MunicipalityCreated,
  MunicipalityYearSet,
  OfferLapsed,
  OfferMade,
  ProviderApproved,
} from "@kruzhok/contracts";
import { MIN_CELL, cell, statisticsHarness, type StatisticsHarness } from "./fixtures/statistics";
import { issue, municipality } from "./fixtures/world";

const CHILD_COUNTS = ["certificates", "coverage.certified", "coverage.enrolled", "enrollments", "queue.length", "offers"];

describe("aggregates of registry, catalogue and enrollment events", () => {
  let h: StatisticsHarness;
  const municipalityId = randomUUID();
  const region = "11";
  const day = "2026-09-01";

  beforeAll(async () => {
    h = await statisticsHarness("stat-aggregates", { clockStart: `${day}T07:00:00Z` });
  });
  afterAll(async () => {
    await h.close();
  });

  it("counts certificates, coverage, enrollments, queues and offers per municipality and region, and suppresses small cells", async () => {
    const m = { municipalityId, aggregateId: municipalityId };
    await h.deliver(MunicipalityCreated, m, { municipalityId, code: "1101", name: "Сыктывкар", regionCode: region, timeZone: "Europe/Moscow", currency: "RUB" });
    await h.deliver(MunicipalityYearSet, { municipalityId, aggregateId: `${municipalityId}:2026` }, {
      year: 2026, currency: "RUB", nominal: 1_500_000, budget: 3_000_000_000, financedCap: 1000, childrenPopulation: 1000,
      categories: [], maxOpenApplications: 5, deadlines: { offerAcceptanceDays: 5, providerReviewWorkingDays: 3, monthCloseDay: 5 },
    });
    const providerId = randomUUID();
    await h.deliver(ProviderApproved, { municipalityId, aggregateId: providerId }, { providerId, kind: "municipal", name: "МБУ ДО СЮТ" });
    const groupId = randomUUID();
    const programId = randomUUID();
    await h.deliver(GroupOpened, { municipalityId, aggregateId: groupId }, {
      groupId, programId, providerId, capacity: 30, schedule: { timeZone: "Europe/Moscow", slots: [{ weekday: 1, start: "16:00", end: "17:00" }] },
      startsOn: "2026-09-01", endsOn: "2027-05-31", exceptions: [], direction: "technical", ageRange: { min: 8, max: 14 }, pricePerHour: 25_000,
      currency: "RUB", fundingKind: "financed", certificationExpiresOn: "2027-06-01", acceptingApplications: true,
    });

    // 15 certificates (children born 2015: 11 in 2026), 12 of them financed and enrolled after 2 days in the queue.
    const children = Array.from({ length: 15 }, () => ({ childId: randomUUID(), certificateId: randomUUID(), applicationId: randomUUID() }));
    for (const [i, c] of children.entries()) {
      await h.deliver(CertificateIssued, { municipalityId, aggregateId: c.certificateId }, {
        certificateId: c.certificateId, number: `11-${i}`, childId: c.childId, birthYear: 2015, ageBand: "11-14", categories: [], funding: "accounting", guardianIds: [randomUUID()],
      });
      const ref = { applicationId: c.applicationId, childId: c.childId, groupId, programId, providerId };
      await h.deliver(ApplicationSubmitted, { municipalityId, aggregateId: c.applicationId }, {
        ...ref, status: "queued", acceptedAt: "2026-09-01T07:00:00.000123Z", reviewDueAt: "2026-09-04T20:59:59Z", submittedBy: "guardian",
      });
    }
    h.clock.set("2026-09-03T07:00:00Z");
    for (const [i, c] of children.slice(0, 13).entries()) {
      const ref = { applicationId: c.applicationId, childId: c.childId, groupId, programId, providerId };
      const offerId = randomUUID();
      await h.deliver(OfferMade, { municipalityId, aggregateId: c.applicationId }, { ...ref, offerId, deadline: "2026-09-08T20:59:59Z" });
      if (i >= 12) {
        await h.deliver(OfferLapsed, { municipalityId, aggregateId: c.applicationId }, { ...ref, offerId, reason: "declined" });
        continue;
      }
      await h.deliver(CertificateFinanced, { municipalityId, aggregateId: c.certificateId }, {
        certificateId: c.certificateId, number: `11-${i}`, childId: c.childId, year: 2026, nominal: 1_500_000, currency: "RUB", requestId: null,
      });
      const enrollmentId = randomUUID();
      await h.deliver(ContractSigned, { municipalityId, aggregateId: enrollmentId }, {
        ...ref, offerId, contractId: randomUUID(), enrollmentId, method: "electronic", signedBy: "guardian-sub", signedAt: "2026-09-03T07:00:00Z",
      });
      await h.deliver(EnrollmentStarted, { municipalityId, aggregateId: enrollmentId }, { enrollmentId, groupId, programId, childId: c.childId });
    }

    expect(await h.publish()).toBeGreaterThan(0);
    const month = (scope: string, scopeId: string, measure: string, dims?: string) => cell(h.pool, { scope, scopeId, period: "month", start: "2026-09-01", measure, ...(dims !== undefined && { dims }) });
    for (const [scope, scopeId] of [["municipality", municipalityId], ["region", region]] as const) {
      expect(await month(scope, scopeId, "coverage.certified")).toEqual({ value: 15, suppressed: false });
      expect(await month(scope, scopeId, "coverage.certified.share")).toEqual({ value: 0.015, suppressed: false });
      expect(await month(scope, scopeId, "coverage.enrolled")).toEqual({ value: 12, suppressed: false });
      expect(await month(scope, scopeId, "enrollments", "direction=technical;fundingKind=financed")).toEqual({ value: 12, suppressed: false });
      expect(await month(scope, scopeId, "offers", "outcome=made")).toEqual({ value: 13, suppressed: false });
      expect(await month(scope, scopeId, "offers", "outcome=accepted")).toEqual({ value: 12, suppressed: false });
      expect(await month(scope, scopeId, "queue.wait.median")).toEqual({ value: 2 * 86_400, suppressed: false });
      expect(await month(scope, scopeId, "providers", "kind=municipal;status=approved")).toEqual({ value: 1, suppressed: false });
      // 3 accounting certificates: suppressed, and the 12 financed with them, or 15 - 12 gives the 3 back.
      expect(await month(scope, scopeId, "certificates", "ageBand=11-14;status=accounting")).toEqual({ value: null, suppressed: true });
      expect(await month(scope, scopeId, "certificates", "ageBand=11-14;status=financed")).toEqual({ value: null, suppressed: true });
      expect(await month(scope, scopeId, "offers", "outcome=declined")).toEqual({ value: null, suppressed: true });
      expect(await month(scope, scopeId, "queue.length")).toEqual({ value: null, suppressed: true }); // 2 still waiting
    }
    // The first day: 15 waiting in the queue, nobody enrolled yet.
    expect(await cell(h.pool, { scope: "municipality", scopeId: municipalityId, period: "day", start: day, measure: "queue.length" })).toEqual({ value: 15, suppressed: false });
    expect(await cell(h.pool, { scope: "municipality", scopeId: municipalityId, period: "day", start: day, measure: "coverage.enrolled" })).toEqual({ value: 0, suppressed: false });

    // No published cell counts between 1 and MIN_CELL - 1 children.
    const { rows } = await h.pool.query<{ measure: string; value: number | null }>("SELECT measure, value FROM published_cells");
    const small = rows.filter((r) => CHILD_COUNTS.includes(r.measure) && r.value !== null && r.value > 0 && r.value < MIN_CELL);
    expect(small).toEqual([]);

    // Nothing that names a person is stored: no child, certificate or application id anywhere.
    const dump = JSON.stringify((await h.pool.query("SELECT * FROM subject_events")).rows) + JSON.stringify((await h.pool.query("SELECT * FROM contributions")).rows);
    for (const c of children) for (const id of [c.childId, c.certificateId, c.applicationId]) expect(dump).not.toContain(id);

    // Every change went out on the statistics topic through the outbox.
    const { rows: outbox } = await h.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE type = 'statistics.cells.changed'");
    expect(outbox[0]!.n).toBeGreaterThan(0);
  });

  it("puts a late event in its own day and moves every day after it, and announces the past day's change", async () => {
    const late = randomUUID();
    h.clock.set("2026-09-10T07:00:00Z");
    await municipality(h, "12", 5_000, late);
    await issue(h, late, 12);
    h.clock.set("2026-09-11T07:00:00Z");
    await issue(h, late, 10);
    await h.publish();
    const day = (start: string) => cell(h.pool, { scope: "municipality", scopeId: late, period: "day", start, measure: "coverage.certified" });
    expect([await day("2026-09-10"), await day("2026-09-11")]).toEqual([{ value: 12, suppressed: false }, { value: 22, suppressed: false }]);
    const { rows: before } = await h.pool.query<{ n: number }>("SELECT max(seq)::int AS n FROM outbox");

    // Three certificates issued on the 10th reach statistics only now (a relay was down).
    h.clock.set("2026-09-10T12:00:00Z");
    await issue(h, late, 3);
    await h.publish();
    expect([await day("2026-09-10"), await day("2026-09-11")]).toEqual([{ value: 15, suppressed: false }, { value: 25, suppressed: false }]);
    expect(await cell(h.pool, { scope: "municipality", scopeId: late, period: "month", start: "2026-09-01", measure: "coverage.certified" })).toEqual({ value: 25, suppressed: false });
    const { rows } = await h.pool.query<{ payload: string }>("SELECT payload FROM outbox WHERE seq > $1 AND type = 'statistics.cells.changed'", [before[0]!.n]);
    const announced = rows.flatMap((r) => (JSON.parse(r.payload) as { data: { cells: { municipalityId: string | null; period: string; start: string; measure: string; value: number | null }[] } }).data.cells);
    expect(announced).toContainEqual(expect.objectContaining({ municipalityId: late, period: "day", start: "2026-09-10", measure: "coverage.certified", value: 15 }));
  });
});
