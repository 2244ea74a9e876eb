import { describe, expect, it } from "vitest";
import { contributionsOf, type SubjectEvent } from "../src/domain/subjects";

const M = "00000000-0000-4000-8000-000000000001";
const N = "00000000-0000-4000-8000-000000000002";
let seq = 0;
const event = (kind: SubjectEvent["kind"], at: string, attrs: SubjectEvent["attrs"] = {}, municipalityId = M): SubjectEvent => ({
  eventId: `0190${String(++seq).padStart(4, "0")}-0000-7000-8000-000000000000`,
  kind,
  municipalityId,
  at: new Date(at),
  attrs,
});
const brief = (events: SubjectEvent[], type: Parameters<typeof contributionsOf>[0]) =>
  contributionsOf(type, events).map((c) => `${c.at.toISOString().slice(0, 16)} ${c.municipalityId === M ? "M" : "N"} ${c.measure} ${JSON.stringify(c.dims)} ${c.delta > 0 ? "+" : ""}${c.delta}${c.sample === null ? "" : ` ${c.sample}s`}`);

describe("a certificate's contributions", () => {
  const issued = event("certificate.issued", "2026-10-01T10:00:00Z", { birthYear: 2015 });
  const financed = event("certificate.financed", "2026-10-03T10:00:00Z");
  const moved = event("certificate.moved", "2026-10-05T10:00:00Z", { toMunicipalityId: N, funding: "financed" });
  const closed = event("certificate.closed", "2026-10-07T10:00:00Z");

  it("given issue, financing, a move and a close, then it counts in its status and municipality for each span", () => {
    expect(brief([issued, financed, moved, closed], "certificate")).toEqual([
      `2026-10-01T10:00 M certificates {"status":"accounting"} +1`,
      `2026-10-03T10:00 M certificates {"status":"accounting"} -1`,
      `2026-10-03T10:00 M certificates {"status":"financed"} +1`,
      `2026-10-05T10:00 M certificates {"status":"financed"} -1`,
      `2026-10-05T10:00 N certificates {"status":"financed"} +1`,
      `2026-10-07T10:00 N certificates {"status":"financed"} -1`,
    ]);
  });

  it("given the same events in any order of arrival, then the same contributions (event time decides)", () => {
    const inOrder = brief([issued, financed, moved, closed], "certificate");
    expect(brief([closed, moved, financed, issued], "certificate")).toEqual(inOrder);
    expect(brief([financed, closed, issued, moved], "certificate")).toEqual(inOrder);
  });

  it("given a suspension and a resumption, then it counts as suspended in between and as financed after", () => {
    const suspended = event("certificate.suspended", "2026-10-04T00:00:00Z");
    const resumed = event("certificate.resumed", "2026-10-04T12:00:00Z");
    expect(brief([issued, financed, suspended, resumed], "certificate").slice(3)).toEqual([
      `2026-10-04T00:00 M certificates {"status":"financed"} -1`,
      `2026-10-04T00:00 M certificates {"status":"suspended"} +1`,
      `2026-10-04T12:00 M certificates {"status":"suspended"} -1`,
      `2026-10-04T12:00 M certificates {"status":"financed"} +1`,
    ]);
  });
});

describe("an application's contributions", () => {
  const submitted = event("application.submitted", "2026-10-01T10:00:00Z", { acceptedAt: "2026-10-01T10:00:00.000Z" });
  it("given a submission, an offer two days later and a signed contract, then it waits in the queue until the offer, waits 172800 s, and the offer is made and accepted", () => {
    const offer = event("offer.made", "2026-10-03T10:00:00Z");
    const signed = event("contract.signed", "2026-10-04T10:00:00Z");
    expect(brief([signed, offer, submitted], "application")).toEqual([
      `2026-10-01T10:00 M queue.length {} +1`,
      `2026-10-03T10:00 M offers {"outcome":"made"} +1`,
      `2026-10-03T10:00 M queue.wait {} +1 172800s`,
      `2026-10-03T10:00 M queue.length {} -1`,
      `2026-10-04T10:00 M offers {"outcome":"accepted"} +1`,
    ]);
  });
  it("given a withdrawal before any offer, then it leaves the queue and no wait is counted", () => {
    expect(brief([submitted, event("application.left", "2026-10-02T09:00:00Z")], "application")).toEqual([
      `2026-10-01T10:00 M queue.length {} +1`,
      `2026-10-02T09:00 M queue.length {} -1`,
    ]);
  });
});

describe("a child's enrollments", () => {
  it("given two overlapping enrollments, then the child counts once as enrolled, from the first start to the last end", () => {
    const started = (key: string, at: string) => event("child.enrollment-started", at, { enrollmentKey: key });
    const ended = (key: string, at: string) => event("child.enrollment-ended", at, { enrollmentKey: key });
    expect(brief([ended("a", "2026-10-05T00:00:00Z"), started("b", "2026-10-03T00:00:00Z"), started("a", "2026-10-01T00:00:00Z"), ended("b", "2026-10-09T00:00:00Z")], "child")).toEqual([
      `2026-10-01T00:00 M coverage.enrolled {} +1`,
      `2026-10-09T00:00 M coverage.enrolled {} -1`,
    ]);
  });
});

describe("attendance's and payments' subjects", () => {
  it("given a mark and a review that changes it, in either order, then one lesson counted on its start with the reviewed status", () => {
    const marked = event("mark.recorded", "2026-10-06T12:05:00Z", { status: "present", startsAt: "2026-10-06T12:00:00Z" });
    const reviewed = event("mark.reviewed", "2026-10-08T09:00:00Z", { status: "absent" });
    const expected = [`2026-10-06T12:00 M attendance.marks {"status":"absent"} +1`];
    expect(brief([marked, reviewed], "mark")).toEqual(expected);
    expect(brief([reviewed, marked], "mark")).toEqual(expected);
    expect(brief([reviewed], "mark")).toEqual([]);
  });

  it("given a month summarised twice (reopened), then only the latest version's lessons count, in the month they were held", () => {
    const first = event("month.summarised", "2026-11-05T21:00:00Z", { month: "2026-10", version: 1, present: 7, excused: 1, unexcused: 0, unmarked: 0 });
    const second = event("month.summarised", "2026-11-09T08:00:00Z", { month: "2026-10", version: 2, present: 6, excused: 1, unexcused: 1, unmarked: 0 });
    const expected = [
      `2026-10-01T11:00 M attendance.lessons {"outcome":"present"} +6`,
      `2026-10-01T11:00 M attendance.lessons {"outcome":"excused"} +1`,
      `2026-10-01T11:00 M attendance.lessons {"outcome":"unexcused"} +1`,
    ];
    expect(brief([first, second], "summary")).toEqual(expected);
    expect(brief([second, first], "summary")).toEqual(expected);
  });

  it("given a certificate queued for financing and funded later, then it waits in between and its amount is committed on the day of funding", () => {
    const issued = event("certificate.issued", "2026-10-01T10:00:00Z", { birthYear: 2015 });
    const queued = event("financing.queued", "2026-10-02T10:00:00Z", { year: 2026 });
    const funded = event("financing.funded", "2026-10-09T10:00:00Z", { year: 2026, amount: 1_650_000 });
    expect(brief([funded, issued, queued], "certificate")).toEqual([
      `2026-10-01T10:00 M certificates {"status":"accounting"} +1`,
      `2026-10-02T10:00 M financing.queued {} +1`,
      `2026-10-09T10:00 M money.committed {} +1650000`,
      `2026-10-09T10:00 M money.committed.count {} +1`,
      `2026-10-09T10:00 M financing.queued {} -1`,
    ]);
  });

  it("given a certificate closed while it waits for financing, then it stops waiting", () => {
    const queued = event("financing.queued", "2026-10-02T10:00:00Z", { year: 2026 });
    const closed = event("certificate.closed", "2026-10-04T10:00:00Z");
    expect(brief([closed, queued], "certificate")).toEqual([`2026-10-02T10:00 M financing.queued {} +1`, `2026-10-04T10:00 M financing.queued {} -1`]);
  });

  it("given a bill and its correction, then the corrected amounts count once, with the bill, in the month of the lessons", () => {
    const billed = event("month.billed", "2026-11-06T10:00:00Z", { month: "2026-10", version: 1, certificateAmount: 160_000, familyAmount: 40_000, benefitAmount: 20_000 });
    const corrected = event("month.billed", "2026-11-10T10:00:00Z", { month: "2026-10", version: 2, certificateAmount: 120_000, familyAmount: 0, benefitAmount: 0 });
    expect(brief([corrected, billed], "bill")).toEqual([`2026-10-01T11:00 M bills {} +1`, `2026-10-01T11:00 M money.spent {} +120000`]);
    expect(brief([billed], "bill")).toEqual([
      `2026-10-01T11:00 M bills {} +1`,
      `2026-10-01T11:00 M money.spent {} +160000`,
      `2026-10-01T11:00 M money.family {} +40000`,
      `2026-10-01T11:00 M money.benefits {} +20000`,
    ]);
  });

  it("given a fraud signal and its resolution, in either order, then it counts by kind when the mark that caused it was written, open until resolved", () => {
    const raised = event("signal.raised", "2026-10-06T12:06:00Z", { kind: "overlapping_lessons", causedAt: "2026-10-06T12:05:00Z" });
    const resolved = event("signal.resolved", "2026-10-09T08:00:00Z", { outcome: "confirmed" });
    expect(brief([raised], "signal")).toEqual([`2026-10-06T12:05 M signals {"kind":"overlapping_lessons"} +1`, `2026-10-06T12:05 M signals.open {} +1`]);
    const expected = [
      `2026-10-06T12:05 M signals {"kind":"overlapping_lessons"} +1`,
      `2026-10-06T12:05 M signals.open {} +1`,
      `2026-10-09T08:00 M signals.resolved {"outcome":"confirmed"} +1`,
      `2026-10-09T08:00 M signals.open {} -1`,
    ];
    expect(brief([resolved, raised], "signal")).toEqual(expected);
    expect(brief([raised, resolved], "signal")).toEqual(expected);
  });

  it("given a reservation reserved, shrunk by a bill and released at the bill's instant, in any order of arrival, then it holds each amount in turn and nothing after", () => {
    const reserved = event("reservation.changed", "2026-10-01T10:00:00Z", { held: 900_000, seq: 1, released: "false" });
    const shrunk = event("reservation.changed", "2026-11-06T10:00:00Z", { held: 600_000, seq: 2, released: "false" });
    const released = event("reservation.changed", "2026-11-06T10:00:00Z", { held: 0, seq: 2, released: "true" });
    const expected = [
      `2026-10-01T10:00 M money.reserved {} +900000`,
      `2026-10-01T10:00 M money.reserved.count {} +1`,
      `2026-11-06T10:00 M money.reserved {} -900000`,
      `2026-11-06T10:00 M money.reserved {} +600000`,
      `2026-11-06T10:00 M money.reserved {} -600000`,
      `2026-11-06T10:00 M money.reserved.count {} -1`,
    ];
    expect(brief([reserved, shrunk, released], "reservation")).toEqual(expected);
    expect(brief([released, shrunk, reserved], "reservation")).toEqual(expected);
  });
});
