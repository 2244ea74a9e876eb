import { describe, expect, it } from "vitest";
import { decideApplication, decideIntake, possibleAges, schedulesClash, type ApplicantState } from "../src/domain/application";
import { offerDeadline, reviewDeadline } from "../src/domain/deadlines";
import { publicHolidays } from "../src/domain/holidays";
import { bestCategory, explainPosition, parseQueueMember, positionSentence, queueMember, suppressSmallCells } from "../src/domain/queue";

const KAMCHATKA = "Asia/Kamchatka";

describe("queue order", () => {
  it("sorts members as the rule says: category rank, then accepted-at microseconds, then application id", () => {
    const keys = [
      { categoryRank: 4, acceptedAtMicros: 1_788_000_000_000_001, applicationId: "0199a000-0000-7000-8000-000000000001" },
      { categoryRank: 1, acceptedAtMicros: 1_788_000_000_000_900, applicationId: "0199a000-0000-7000-8000-000000000002" },
      { categoryRank: 1, acceptedAtMicros: 1_788_000_000_000_100, applicationId: "0199a000-0000-7000-8000-00000000000b" },
      { categoryRank: 1, acceptedAtMicros: 1_788_000_000_000_100, applicationId: "0199a000-0000-7000-8000-00000000000a" },
      { categoryRank: 0, acceptedAtMicros: 1_799_999_999_999_999, applicationId: "0199a000-0000-7000-8000-000000000003" },
      { categoryRank: 10, acceptedAtMicros: 1, applicationId: "0199a000-0000-7000-8000-000000000004" },
    ];
    const sorted = keys.map(queueMember).sort();
    expect(sorted.map((m) => parseQueueMember(m).applicationId.slice(-2))).toEqual(["03", "0a", "0b", "02", "01", "04"]);
    expect(parseQueueMember(queueMember(keys[0]!))).toEqual(keys[0]);
  });

  it("refuses keys it cannot encode exactly", () => {
    expect(() => queueMember({ categoryRank: 100, acceptedAtMicros: 1, applicationId: "x" })).toThrow(RangeError);
    expect(() => queueMember({ categoryRank: 0, acceptedAtMicros: 1.5, applicationId: "x" })).toThrow(RangeError);
  });

  it("takes the child's best category in the municipality's order; no category ranks after all", () => {
    const order = ["orphan", "disabled", "large_family"];
    expect(bestCategory(order, ["large_family", "disabled"])).toEqual({ code: "disabled", rank: 1 });
    expect(bestCategory(order, ["veteran_family"])).toEqual({ code: null, rank: 3 });
    expect(bestCategory(order, [])).toEqual({ code: null, rank: 3 });
  });

  it("explains a position the way a guardian reads it", () => {
    const view = explainPosition(["orphan", "disabled", "large_family"], { code: "large_family", rank: 2 }, {
      position: 147,
      total: 300,
      aheadByRank: new Map([[0, 11], [1, 30], [2, 120]]),
      aheadInCategory: 105,
      inCategory: 120,
    });
    expect(view).toMatchObject({ aheadWithHigherCategories: 41, aheadInOwnCategoryAppliedEarlier: 105, aheadByCategory: [{ code: "orphan", ahead: 11 }, { code: "disabled", ahead: 30 }] });
    expect(view.explanation).toBe(
      "Место в очереди: 147 из 300. Ваша льготная категория — многодетная семья (3-я из 3 в порядке муниципалитета). " +
        "Впереди вас: 41 ребёнок с более высокими категориями и 105 детей вашей категории с более ранним заявлением.",
    );
    expect(positionSentence(view, "kk")).toBe(
      "Кезектегі орын: 300 ішінен 147-орын. Жеңілдік санатыңыз — көп балалы отбасы (муниципалитет тізімінде 3-орын, барлығы 3 санат). " +
        "Сізден алда: жоғары санаттағы 41 бала және өтінішін ертерек берген сіздің санатыңыздағы 105 бала.",
    );
  });

  it("withholds counts by category below the threshold, and one more when a single one would be worked out from the total", () => {
    expect(suppressSmallCells([{ code: "orphan", ahead: 11 }, { code: "disabled", ahead: 30 }], 10)).toEqual([{ code: "orphan", ahead: 11 }, { code: "disabled", ahead: 30 }]);
    expect(suppressSmallCells([{ code: "orphan", ahead: 2 }, { code: "disabled", ahead: 30 }, { code: "large_family", ahead: 12 }], 10)).toEqual([
      { code: "orphan", ahead: null },
      { code: "disabled", ahead: 30 },
      { code: "large_family", ahead: null },
    ]);
    expect(suppressSmallCells([{ code: "orphan", ahead: 2 }, { code: "disabled", ahead: 3 }, { code: "large_family", ahead: 12 }], 10)).toEqual([
      { code: "orphan", ahead: null },
      { code: "disabled", ahead: null },
      { code: "large_family", ahead: 12 },
    ]);
    expect(suppressSmallCells([{ code: "orphan", ahead: 2 }], 3)).toEqual([{ code: "orphan", ahead: null }]);
    expect(suppressSmallCells([{ code: "orphan", ahead: 2 }], 2)).toEqual([{ code: "orphan", ahead: 2 }]);
    const view = explainPosition(["orphan", "disabled"], { code: "disabled", rank: 1 }, { position: 5, total: 9, aheadByRank: new Map([[0, 3], [1, 5]]), aheadInCategory: 1, inCategory: 5 }, 10);
    expect(view).toMatchObject({ aheadWithHigherCategories: 3, aheadByCategory: [{ code: "orphan", ahead: null }], inOwnCategory: null });
  });
});

describe("deadlines in Kamchatka (UTC+12)", () => {
  it("an offer runs to the end of the last local day, whichever side of local midnight it is made", () => {
    // 23:59 local on Monday 5 October = 11:59 UTC: 3 days -> end of Thursday 8 October local.
    expect(offerDeadline(new Date("2026-10-05T11:59:00Z"), KAMCHATKA, 3).toISOString()).toBe("2026-10-08T12:00:00.000Z");
    // One minute later it is already Tuesday local: end of Friday 9 October local.
    expect(offerDeadline(new Date("2026-10-05T12:00:00Z"), KAMCHATKA, 3).toISOString()).toBe("2026-10-09T12:00:00.000Z");
    // The same UTC instant in Moscow is still Monday afternoon there.
    expect(offerDeadline(new Date("2026-10-05T12:00:00Z"), "Europe/Moscow", 3).toISOString()).toBe("2026-10-08T21:00:00.000Z");
  });

  it("a review counts working days, skipping the weekend", () => {
    // Friday 23:30 local: Monday, Tuesday, Wednesday -> end of Wednesday 7 October local.
    expect(reviewDeadline(new Date("2026-10-02T11:30:00Z"), KAMCHATKA, 3).toISOString()).toBe("2026-10-07T12:00:00.000Z");
    // 00:30 local on Saturday 3 October (12:30 UTC on Friday): one working day is Monday.
    expect(reviewDeadline(new Date("2026-10-02T12:30:00Z"), KAMCHATKA, 1).toISOString()).toBe("2026-10-05T12:00:00.000Z");
    // Tuesday 3 November local, one working day, with 4 November (День народного единства) a holiday: Thursday 5 November.
    expect(reviewDeadline(new Date("2026-11-03T00:00:00Z"), KAMCHATKA, 1, new Set(["2026-11-04"])).toISOString()).toBe("2026-11-05T12:00:00.000Z");
    // The same without a calendar given: Russia's public holidays by the zone.
    expect(reviewDeadline(new Date("2026-11-03T00:00:00Z"), KAMCHATKA, 1).toISOString()).toBe("2026-11-05T12:00:00.000Z");
    // Karaganda (Asia/Almaty, Kazakhstan), 01:00 on Tuesday 3 November: 4 November is a working day there.
    expect(reviewDeadline(new Date("2026-11-02T20:00:00Z"), "Asia/Almaty", 1).toISOString()).toBe("2026-11-04T19:00:00.000Z");
  });

  it("knows each country's public days off, with a weekend holiday's day off moved to the next working day", () => {
    const ru = publicHolidays("Asia/Kamchatka", [2026]);
    // 1-8 January; 23 February (Monday); 8 March 2026 is a Sunday -> Monday 9 March off; 12 June; 4 November.
    for (const day of ["2026-01-01", "2026-01-08", "2026-02-23", "2026-03-08", "2026-03-09", "2026-05-01", "2026-05-09", "2026-05-11", "2026-06-12", "2026-11-04"]) {
      expect(ru.has(day), day).toBe(true);
    }
    expect(ru.has("2026-01-09")).toBe(false);
    const kz = publicHolidays("Asia/Almaty", [2026]);
    // Nauryz 21-23 March 2026 (Saturday-Monday): Tuesday 24 and Wednesday 25 March off in lieu.
    for (const day of ["2026-03-21", "2026-03-22", "2026-03-23", "2026-03-24", "2026-03-25", "2026-12-16", "2026-07-06"]) {
      expect(kz.has(day), day).toBe(true);
    }
    expect(kz.has("2026-11-04")).toBe(false);
    expect(kz.has("2026-02-23")).toBe(false);
    // 7 January 2029 is a Sunday: a religious holiday in Kazakhstan moves to no other day, so Monday 8 January works.
    const kz2029 = publicHolidays("Asia/Almaty", [2029]);
    expect(kz2029.has("2029-01-07")).toBe(true);
    expect(kz2029.has("2029-01-08")).toBe(false);
    // A provider asked on Friday 20 March in Karaganda with 1 working day: Thursday 26 March.
    expect(reviewDeadline(new Date("2026-03-20T06:00:00Z"), "Asia/Almaty", 1).toISOString()).toBe("2026-03-26T19:00:00.000Z");
  });
});

describe("application rules", () => {
  const base: ApplicantState = {
    group: {
      id: "g",
      municipalityId: "m",
      programId: "p",
      status: "open",
      accepting: true,
      startsOn: "2026-09-15",
      endsOn: "2027-05-31",
      ageMin: 7,
      ageMax: 9,
      fundingKind: "free",
      slots: [{ weekday: 2, start: "15:00", end: "16:30" }],
      certificationExpiresOn: null,
    },
    certificate: { municipalityId: "m", status: "active", funding: "accounting", financedYear: null, birthYear: 2017, birthDate: null },
    rules: { categoryOrder: ["orphan", "large_family"], maxOpenApplications: 2 },
    childCategories: ["large_family"],
    openApplications: [],
    activeEnrollments: [],
  };
  const now = new Date("2026-09-01T00:00:00Z");
  const code = (state: ApplicantState) => {
    try {
      decideApplication(state, KAMCHATKA, now);
      return "ok";
    } catch (error) {
      return (error as { code: string }).code;
    }
  };

  it("passes a child within every rule, ranked by its best category", () => {
    expect(decideApplication(base, KAMCHATKA, now)).toEqual({ status: "queued", categoryCode: "large_family", categoryRank: 1, financingYear: null });
  });

  it("asks for financing when an accounting certificate applies to a financed program", () => {
    expect(decideApplication({ ...base, group: { ...base.group, fundingKind: "financed" } }, KAMCHATKA, now)).toMatchObject({ status: "awaiting_financing", financingYear: 2026 });
    expect(
      decideApplication({ ...base, group: { ...base.group, fundingKind: "financed" }, certificate: { ...base.certificate!, funding: "financed", financedYear: 2026 } }, KAMCHATKA, now),
    ).toMatchObject({ status: "queued" });
  });

  it("ages from the real birth date on the group's start date (or today, once it has started), the edge days included", () => {
    const born = (birthDate: string) => ({ ...base, certificate: { ...base.certificate!, birthYear: Number(birthDate.slice(0, 4)), birthDate } });
    // The program takes 7 to 9; the group starts on 2026-09-15.
    expect(code(born("2019-09-15"))).toBe("ok"); // 7 on its first day
    expect(code(born("2019-09-16"))).toBe("ENROLLMENT.AGE_OUTSIDE_RANGE"); // 7 the day after
    expect(code(born("2016-09-16"))).toBe("ok"); // 9 still, 10 the next day
    expect(code(born("2016-09-15"))).toBe("ENROLLMENT.AGE_OUTSIDE_RANGE"); // 10 on its first day
    // The birth year alone would have let both edge children through.
    expect(possibleAges(2019, "2026-09-15")).toEqual({ min: 6, max: 7 });
    // Once the group has started, the age on the day of applying counts.
    const later = new Date("2026-11-01T00:00:00Z");
    expect(() => decideApplication(born("2019-10-20"), KAMCHATKA, later)).not.toThrow();
  });

  it("ages from the birth year when a certificate came without a birth date: either age the child may be on the start date passes", () => {
    expect(possibleAges(2017, "2026-09-15")).toEqual({ min: 8, max: 9 });
    expect(code({ ...base, certificate: { ...base.certificate!, birthYear: 2019 } })).toBe("ok"); // 6 or 7
    expect(code({ ...base, certificate: { ...base.certificate!, birthYear: 2020 } })).toBe("ENROLLMENT.AGE_OUTSIDE_RANGE"); // 5 or 6
    expect(code({ ...base, certificate: { ...base.certificate!, birthYear: 2016 } })).toBe("ok"); // 9 or 10
    expect(code({ ...base, certificate: { ...base.certificate!, birthYear: 2015 } })).toBe("ENROLLMENT.AGE_OUTSIDE_RANGE"); // 10 or 11
  });

  it("refuses for every reason the issue names", () => {
    expect(code({ ...base, certificate: undefined })).toBe("ENROLLMENT.CERTIFICATE_MISSING");
    expect(code({ ...base, certificate: { ...base.certificate!, status: "suspended" } })).toBe("ENROLLMENT.CERTIFICATE_SUSPENDED");
    expect(code({ ...base, certificate: { ...base.certificate!, municipalityId: "other" } })).toBe("ENROLLMENT.CERTIFICATE_OTHER_MUNICIPALITY");
    expect(code({ ...base, openApplications: [{ programId: "p" }] })).toBe("ENROLLMENT.ALREADY_APPLYING_TO_PROGRAM");
    expect(code({ ...base, openApplications: [{ programId: "a" }, { programId: "b" }] })).toBe("ENROLLMENT.TOO_MANY_OPEN_APPLICATIONS");
    const enrolled = { id: "e", groupId: "h", programId: "q", startsOn: "2026-09-01", endsOn: "2027-05-31", slots: [{ weekday: 2, start: "16:00", end: "17:00" }] };
    expect(code({ ...base, activeEnrollments: [enrolled] })).toBe("ENROLLMENT.SCHEDULE_CLASH");
    expect(code({ ...base, activeEnrollments: [{ ...enrolled, programId: "p", slots: [] }] })).toBe("ENROLLMENT.ALREADY_ENROLLED_IN_PROGRAM");
    expect(code({ ...base, group: { ...base.group, accepting: false } })).toBe("ENROLLMENT.GROUP_NOT_ACCEPTING");
    expect(code({ ...base, rules: undefined })).toBe("ENROLLMENT.YEAR_SETTINGS_MISSING");
  });

  it("takes certificate applications while the program's certification is in force on the local date, not the day after its last", () => {
    const certified = (certificationExpiresOn: string) => ({ ...base, group: { ...base.group, fundingKind: "financed" as const, certificationExpiresOn } });
    // 2026-09-01T00:00Z is 1 September 12:00 in Kamchatka.
    expect(code(certified("2026-09-01"))).toBe("ok");
    expect(code(certified("2026-08-31"))).toBe("ENROLLMENT.CERTIFICATION_EXPIRED");
  });

  it("refuses before reading the child's facts when enrollment knows neither the child nor the municipality", () => {
    const intake = (childKnown: boolean, municipalityZone: string | undefined) => {
      try {
        return decideIntake({ childKnown, municipalityZone });
      } catch (error) {
        return (error as { code: string }).code;
      }
    };
    expect(intake(true, KAMCHATKA)).toBe(KAMCHATKA);
    expect(intake(false, KAMCHATKA)).toBe("ENROLLMENT.CERTIFICATE_MISSING");
    expect(intake(true, undefined)).toBe("ENROLLMENT.MUNICIPALITY_UNKNOWN");
  });

  it("takes no first-come application to a group whose seats a campaign not yet drawn allocates, whatever else holds", () => {
    const campaign = { groupId: "g", campaignId: "c", closesAt: new Date("2026-09-10T00:00:00Z") };
    expect(code({ ...base, campaign })).toBe("ENROLLMENT.GROUP_IN_CAMPAIGN");
    // The other rules are told first.
    expect(code({ ...base, campaign, openApplications: [{ programId: "p" }] })).toBe("ENROLLMENT.ALREADY_APPLYING_TO_PROGRAM");
  });

  it("a transfer ignores the enrollment it leaves, and only that one", () => {
    const leaving = { id: "e", groupId: "h", programId: "p", startsOn: "2026-09-01", endsOn: "2027-05-31", slots: base.group.slots };
    const other = { ...leaving, id: "f", groupId: "k", programId: "q", slots: [{ weekday: 2, start: "16:00", end: "17:00" }] };
    // Same program and the same hours as the group left: a plain application is refused, a transfer passes.
    expect(code({ ...base, activeEnrollments: [leaving] })).toBe("ENROLLMENT.ALREADY_ENROLLED_IN_PROGRAM");
    expect(code({ ...base, activeEnrollments: [leaving], transferOf: "e" })).toBe("ok");
    // Another enrollment still counts.
    expect(code({ ...base, activeEnrollments: [leaving, other], transferOf: "e" })).toBe("ENROLLMENT.SCHEDULE_CLASH");
    // The cap counts a transfer like any application.
    expect(code({ ...base, activeEnrollments: [leaving], transferOf: "e", openApplications: [{ programId: "a" }, { programId: "b" }] })).toBe("ENROLLMENT.TOO_MANY_OPEN_APPLICATIONS");
    expect(code({ ...base, activeEnrollments: [leaving], transferOf: "ended" })).toBe("ENROLLMENT.ENROLLMENT_NOT_ACTIVE");
    expect(code({ ...base, activeEnrollments: [{ ...leaving, groupId: "g" }], transferOf: "e" })).toBe("ENROLLMENT.TRANSFER_SAME_GROUP");
    // One transfer of an enrollment at a time.
    expect(code({ ...base, activeEnrollments: [leaving], transferOf: "e", transferPending: true })).toBe("ENROLLMENT.TRANSFER_PENDING");
  });

  it("sees a clash only when the periods and the slots on one weekday overlap", () => {
    const a = { startsOn: "2026-09-01", endsOn: "2026-12-31", slots: [{ weekday: 2, start: "15:00", end: "16:30" }] };
    expect(schedulesClash(a, { ...a, slots: [{ weekday: 2, start: "16:30", end: "17:00" }] })).toBe(false);
    expect(schedulesClash(a, { ...a, slots: [{ weekday: 3, start: "15:00", end: "16:30" }] })).toBe(false);
    expect(schedulesClash(a, { startsOn: "2027-01-01", endsOn: "2027-05-31", slots: a.slots })).toBe(false);
    expect(schedulesClash(a, { ...a, slots: [{ weekday: 2, start: "16:00", end: "16:10" }] })).toBe(true);
  });
});
