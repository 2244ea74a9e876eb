import { describe, expect, it } from "vitest";
import { decideLessonMarks } from "../src/domain/marking";
import { decideNotice, excuseOf, excusedVacationDays, noticeOnTime, type Notice } from "../src/domain/notices";
import { decideReview } from "../src/domain/review";
import { applyEnrollmentEvent, onRosterOn } from "../src/domain/roster";
import { closingDayOf, defaultRules } from "../src/domain/rules";
import { daysWithoutLessons, plannedLessons, type GroupPlan } from "../src/domain/schedule";
import { allPresentMonth, bulkLateEntry, overlappingLessons, tooManyGroups } from "../src/domain/signals";
import { summariseMonth } from "../src/domain/summary";

const group: GroupPlan = {
  id: "g",
  municipalityId: "m",
  providerId: "p",
  programId: null,
  timeZone: "Asia/Kamchatka",
  slots: [
    { weekday: 2, start: "15:00", end: "16:30" },
    { weekday: 4, start: "15:00", end: "16:30" },
  ],
  startsOn: "2026-09-01",
  endsOn: "2027-05-31",
  exceptions: [{ date: "2026-11-03" }],
  kind: "class",
  closedOn: null,
};
const rules = defaultRules(2026, "RUB");

describe("lessons from a schedule", () => {
  it("gives every slot of the span in the municipality's zone, minus holidays, exceptions and days off", () => {
    const off = daysWithoutLessons(group, rules.holidays, ["2026-11-12"]);
    // November 2026: Tuesdays 3 (exception), 10, 17, 24; Thursdays 5, 12 (day off), 19, 26; 4 November is a holiday but a Wednesday.
    expect(plannedLessons(group, off, "2026-11-01", "2026-11-30").map((l) => l.date)).toEqual(["2026-11-05", "2026-11-10", "2026-11-17", "2026-11-19", "2026-11-24", "2026-11-26"]);
  });

  it("has no lessons on a public holiday that falls on a lesson day, nor from the day the group closed", () => {
    const thursdays = { ...group, slots: [{ weekday: 3, start: "10:00", end: "11:00" }] };
    expect(plannedLessons(thursdays, daysWithoutLessons(thursdays, rules.holidays, []), "2026-11-01", "2026-11-07").map((l) => l.date)).toEqual([]);
    expect(plannedLessons({ ...group, closedOn: "2026-09-10" }, new Set(), "2026-09-01", "2026-09-30").map((l) => l.date)).toEqual(["2026-09-01", "2026-09-03", "2026-09-08"]);
  });
});

describe("the roster", () => {
  it("holds the child from the local day its enrollment started to the day before it ended", () => {
    // 2026-09-30T13:00Z is 1 October, 01:00 in Kamchatka.
    const span = { startedAt: new Date("2026-09-30T13:00:00Z"), endedAt: new Date("2026-10-20T12:30:00Z") };
    expect(onRosterOn(span, "Asia/Kamchatka", "2026-09-30")).toBe(false);
    expect(onRosterOn(span, "Asia/Kamchatka", "2026-10-01")).toBe(true);
    expect(onRosterOn(span, "Asia/Kamchatka", "2026-10-20")).toBe(true); // 20 Oct 12:30Z is 21 Oct, 00:30 locally
    expect(onRosterOn(span, "Asia/Kamchatka", "2026-10-21")).toBe(false);
  });

  it("keeps the earliest start and end whatever order, and however often, the events come", () => {
    const start = new Date("2026-09-01T00:00:00Z");
    const end = new Date("2026-10-01T00:00:00Z");
    const endFirst = applyEnrollmentEvent(undefined, { kind: "ended", at: end });
    expect(applyEnrollmentEvent(endFirst, { kind: "started", at: start })).toEqual({ startedAt: start, endedAt: end });
    const replayedLater = applyEnrollmentEvent({ startedAt: start, endedAt: end }, { kind: "started", at: new Date("2026-10-05T00:00:00Z") });
    expect(replayedLater).toEqual({ startedAt: start, endedAt: end });
  });
});

describe("marking a lesson", () => {
  const state = { group, off: new Set<string>(), roster: new Map([["c1", "e1"]]), existing: new Map(), monthClosed: false };

  it("refuses a child off the roster, a lesson not started yet and a closed month", () => {
    const now = new Date("2026-09-01T03:00:00Z"); // 15:00 in Kamchatka
    expect(decideLessonMarks({ date: "2026-09-01", start: "15:00", marks: [{ childId: "c1", status: "present" }] }, state, now).writes).toHaveLength(1);
    expect(() => decideLessonMarks({ date: "2026-09-01", start: "15:00", marks: [{ childId: "c2", status: "present" }] }, state, now)).toThrow(expect.objectContaining({ code: "ATTENDANCE.NOT_ON_ROSTER" }));
    expect(() => decideLessonMarks({ date: "2026-09-01", start: "15:00", marks: [{ childId: "c1", status: "present" }] }, state, new Date(now.getTime() - 1))).toThrow(
      expect.objectContaining({ code: "ATTENDANCE.LESSON_NOT_STARTED" }),
    );
    expect(() => decideLessonMarks({ date: "2026-09-01", start: "15:00", marks: [{ childId: "c1", status: "present" }] }, { ...state, monthClosed: true }, now)).toThrow(
      expect.objectContaining({ code: "ATTENDANCE.MONTH_CLOSED" }),
    );
  });

  it("marks a lesson outside the schedule all the same, flagged", () => {
    const decision = decideLessonMarks({ date: "2026-09-02", start: "18:00", marks: [{ childId: "c1", status: "present" }] }, state, new Date("2026-09-03T00:00:00Z"));
    expect(decision.lesson).toMatchObject({ onSchedule: false, end: "18:45" });
  });
});

describe("the 09:00 rule", () => {
  // One instant, two municipalities: 2026-10-05T20:59Z is 08:59 on 6 October in Kamchatka (UTC+12)
  // and 23:59 on 5 October in Komi (Moscow time, UTC+3).
  const cases: [string, string, string, boolean][] = [
    ["2026-10-05T20:59:00Z", "Asia/Kamchatka", "08:59", true],
    ["2026-10-05T21:00:00Z", "Asia/Kamchatka", "09:00", true],
    ["2026-10-05T21:00:59Z", "Asia/Kamchatka", "09:00:59", true],
    ["2026-10-05T21:01:00Z", "Asia/Kamchatka", "09:01", false],
    ["2026-10-05T20:59:00Z", "Europe/Moscow", "23:59 the day before", true],
    ["2026-10-05T21:01:00Z", "Europe/Moscow", "00:01", true],
    ["2026-10-06T05:59:00Z", "Europe/Moscow", "08:59", true],
    ["2026-10-06T06:00:00Z", "Europe/Moscow", "09:00", true],
    ["2026-10-06T06:01:00Z", "Europe/Moscow", "09:01", false],
    ["2026-10-06T05:59:00Z", "Asia/Kamchatka", "17:59", false],
  ];
  it.each(cases)("a notice for 6 October received at %s in %s (%s local) is on time: %s", (at, zone, _local, onTime) => {
    expect(noticeOnTime(new Date(at), "2026-10-06", zone, "09:00")).toBe(onTime);
  });

  it("refuses a group's quarantine that names a child, and a child's illness that names none", () => {
    const now = new Date("2026-10-01T00:00:00Z");
    expect(() => decideNotice({ childId: "c", groupId: "g", reason: "quarantine", from: "2026-10-01", to: "2026-10-07" }, "Europe/Moscow", rules, now)).toThrow(
      expect.objectContaining({ code: "ATTENDANCE.NOTICE_SUBJECT" }),
    );
    expect(() => decideNotice({ childId: null, groupId: "g", reason: "illness", from: "2026-10-01", to: "2026-10-07" }, "Europe/Moscow", rules, now)).toThrow(
      expect.objectContaining({ code: "ATTENDANCE.NOTICE_SUBJECT" }),
    );
    expect(() => decideNotice({ childId: "c", groupId: null, reason: "illness", from: "2026-10-07", to: "2026-10-01" }, "Europe/Moscow", rules, now)).toThrow(
      expect.objectContaining({ code: "ATTENDANCE.DATES_INVERTED" }),
    );
    expect(decideNotice({ childId: "c", groupId: null, reason: "illness", from: "2026-10-01", to: "2026-10-07" }, "Europe/Moscow", rules, now)).toEqual({ onTime: true, proofDueOn: "2026-10-17" });
  });
});

const notice = (n: Partial<Notice>): Notice => ({
  id: "n",
  childId: "c",
  groupId: null,
  reason: "vacation",
  from: "2026-01-01",
  to: "2026-01-01",
  receivedAt: new Date("2025-12-01T00:00:00Z"),
  onTime: true,
  proofDueOn: null,
  proofAt: null,
  ...n,
});

describe("excused absences", () => {
  it("counts at most 75 vacation days a calendar year: the 76th is unexcused", () => {
    // 1 June - 14 August is 75 days; a second notice adds 15 and 16 August.
    const days = excusedVacationDays([notice({ from: "2026-06-01", to: "2026-08-14" }), notice({ from: "2026-08-15", to: "2026-08-16" })], 2026, 75);
    expect(days.size).toBe(75);
    expect(days.has("2026-08-14")).toBe(true);
    expect(days.has("2026-08-15")).toBe(false);
    // The next year starts again.
    expect(excusedVacationDays([notice({ from: "2026-12-01", to: "2027-02-28" })], 2027, 75).size).toBe(59);
  });

  it("excuses by an on-time notice whose proof came within its window, and not by a late one", () => {
    const asOf = new Date("2026-11-05T00:00:00Z");
    const illness = notice({ reason: "illness", from: "2026-10-06", to: "2026-10-08", proofDueOn: "2026-10-18", proofAt: new Date("2026-10-12T10:00:00Z") });
    expect(excuseOf("2026-10-07", [illness], new Set(), "Europe/Moscow", asOf)).toBe("illness");
    expect(excuseOf("2026-10-07", [{ ...illness, onTime: false }], new Set(), "Europe/Moscow", asOf)).toBeNull();
    expect(excuseOf("2026-10-07", [{ ...illness, proofAt: null }], new Set(), "Europe/Moscow", asOf)).toBeNull();
    // The proof came on 19 October, a day after its window.
    expect(excuseOf("2026-10-07", [{ ...illness, proofAt: new Date("2026-10-19T10:00:00Z") }], new Set(), "Europe/Moscow", asOf)).toBeNull();
    expect(excuseOf("2026-10-07", [notice({ reason: "other", from: "2026-10-07", to: "2026-10-07" })], new Set(), "Europe/Moscow", asOf)).toBeNull();
  });
});

describe("a month's summary", () => {
  it("counts scheduled, present, excused by reason, unexcused, unmarked, disputed, unconfirmed and billable", () => {
    const counts = summariseMonth({
      month: "2026-09",
      enrollment: { startedAt: new Date("2026-08-20T00:00:00Z"), endedAt: null },
      group,
      off: new Set(),
      marks: [
        { date: "2026-09-01", start: "15:00", status: "present", review: "confirmed" },
        { date: "2026-09-03", start: "15:00", status: "present", review: "none" },
        { date: "2026-09-08", start: "15:00", status: "present", review: "disputed" },
        { date: "2026-09-10", start: "15:00", status: "absent", review: "none" },
        { date: "2026-09-15", start: "15:00", status: "absent", review: "none" },
      ],
      notices: [notice({ reason: "vacation", from: "2026-09-10", to: "2026-09-10" })],
      vacationDays: new Set(["2026-09-10"]),
      confirmationRequired: true,
      asOf: new Date("2026-10-05T00:00:00Z"),
    });
    expect(counts).toEqual({
      scheduled: 9,
      present: 3,
      excused: { illness: 0, vacation: 1, quarantine: 0, repairs: 0, rehabilitation: 0 },
      unexcused: 1,
      unmarked: 4,
      disputed: 1,
      unconfirmed: 1,
      billable: 1,
    });
  });
});

describe("month close and reviews", () => {
  it("closes on the 3rd working day of the next month, skipping weekends and holidays", () => {
    // October 2026 ends on a Saturday: 2, 3, 4 November are Mon, Tue, and 4 November a holiday, so Thursday 5.
    expect(closingDayOf("2026-10", defaultRules(2026, "RUB"))).toBe("2026-11-05");
    // December: 1-8 January are holidays in Russia; the 9th and 10th are a weekend.
    expect(closingDayOf("2026-12", defaultRules(2027, "RUB"))).toBe("2027-01-13");
  });

  it("lets a guardian confirm or dispute and only an operator resolve, while the month is open", () => {
    const mark = { status: "present" as const, review: "none" as const, monthClosed: false };
    expect(decideReview({ role: "guardian", decision: "dispute" }, mark)).toEqual({ status: "present", review: "disputed" });
    expect(() => decideReview({ role: "guardian", decision: "resolve" }, mark)).toThrow(expect.objectContaining({ code: "ATTENDANCE.NOT_DISPUTED" }));
    expect(decideReview({ role: "operator", decision: "resolve", status: "absent" }, { ...mark, review: "disputed" })).toEqual({ status: "absent", review: "resolved" });
    expect(() => decideReview({ role: "guardian", decision: "confirm" }, { ...mark, monthClosed: true })).toThrow(expect.objectContaining({ code: "ATTENDANCE.MONTH_CLOSED" }));
  });
});

describe("fraud signals", () => {
  const lesson = { id: "l1", groupId: "g1", providerId: "p1", date: "2026-09-01", startsAt: new Date("2026-09-01T03:00:00Z"), endsAt: new Date("2026-09-01T04:30:00Z"), onSchedule: true };

  it("finds a child present in two overlapping lessons of two providers, and not in back-to-back ones", () => {
    const other = { childId: "c", lessonId: "l2", groupId: "g2", providerId: "p2", startsAt: new Date("2026-09-01T04:00:00Z"), endsAt: new Date("2026-09-01T05:00:00Z") };
    expect(overlappingLessons(lesson, [other])).toEqual([expect.objectContaining({ kind: "overlapping_lessons", childId: "c", providerIds: ["p1", "p2"], lessonIds: ["l1", "l2"] })]);
    expect(overlappingLessons(lesson, [{ ...other, startsAt: lesson.endsAt }])).toEqual([]);
  });

  it("finds too many groups a week, a month all present, and a bulk of late marks", () => {
    const groups = ["a", "b", "c", "d", "e"].map((g) => ({ groupId: g, providerId: "p" }));
    expect(tooManyGroups("c", "2026-08-31", groups, { maxGroupsPerWeek: 4 })).toHaveLength(1);
    expect(tooManyGroups("c", "2026-08-31", groups.slice(1), { maxGroupsPerWeek: 4 })).toHaveLength(0);
    expect(allPresentMonth({ id: "g", providerId: "p" }, "2026-09", { lessons: 9, marked: 9, marks: 90, absent: 0 })).toHaveLength(1);
    expect(allPresentMonth({ id: "g", providerId: "p" }, "2026-09", { lessons: 9, marked: 9, marks: 90, absent: 1 })).toHaveLength(0);
    const now = new Date("2026-10-20T00:00:00Z");
    const old = Array.from({ length: 3 }, (_, i) => ({ id: `l${i}`, endsAt: new Date("2026-09-01T04:30:00Z"), marks: 15 }));
    const late = bulkLateEntry({ id: "g", providerId: "p" }, old, now, rules);
    expect(late.map((f) => [f.kind, f.evidence.marks])).toEqual([["bulk_late_entry", 45]]);
    expect(bulkLateEntry({ id: "g", providerId: "p" }, old.slice(0, 1), now, rules)).toEqual([]);
  });
});
