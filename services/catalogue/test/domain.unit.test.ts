import { describe, expect, it } from "vitest";
import { isDomainError } from "@kruzhok/errors";
import { certificateCoverage } from "../src/domain/coverage";
import { acceptsApplications, visibleTo } from "../src/domain/listing";
import { checkCertification, checkProgramContent, decideProgram, type ProgramContent } from "../src/domain/program";
import { decideProviderGroups } from "../src/domain/provider";
import { decideReview } from "../src/domain/review";
import { checkGroupPlan, type GroupPlan } from "../src/domain/schedule";
import { decodeCursor, encodeCursor, prefixQuery } from "../src/domain/search";

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    if (isDomainError(error)) return `${error.code} ${String(error.details.field ?? "")}`.trim();
    throw error;
  }
};

const content: ProgramContent = {
  title: "Робототехника",
  description: "",
  direction: "technical",
  ageRange: { min: 8, max: 14 },
  totalHours: 72,
  weeklyHours: 2,
  price: { amount: 25_000, currency: "RUB" },
  fundingKind: "financed",
  certification: { number: "1", date: "2026-01-01", expiry: "2026-12-31" },
  address: { text: "x", latitude: 0, longitude: 0 },
  teachers: [],
};
const ctx = { currency: "RUB" as const, today: "2026-09-01" };

describe("program rules", () => {
  it("given an inverted age range, refuses it naming ageRange", () => {
    expect(codeOf(() => checkProgramContent({ ...content, ageRange: { min: 15, max: 7 } }, ctx))).toBe("CATALOGUE.AGE_RANGE_INVERTED ageRange");
  });
  it("given a financed program, needs a certification in force today (both ends inclusive)", () => {
    expect(codeOf(() => checkProgramContent({ ...content, certification: null }, ctx))).toBe("CATALOGUE.CERTIFICATION_REQUIRED certification");
    expect(codeOf(() => checkCertification({ number: "1", date: "2026-01-01", expiry: "2026-09-01" }, "2026-09-01", "c"))).toBeUndefined();
    expect(codeOf(() => checkCertification({ number: "1", date: "2026-01-01", expiry: "2026-08-31" }, "2026-09-01", "c"))).toBe("CATALOGUE.CERTIFICATION_EXPIRED c.expiry");
    expect(codeOf(() => checkCertification({ number: "1", date: "2026-09-02", expiry: "2027-08-31" }, "2026-09-01", "c"))).toBe("CATALOGUE.CERTIFICATION_INVALID c.date");
    expect(codeOf(() => checkProgramContent({ ...content, fundingKind: "paid", certification: null }, ctx))).toBeUndefined();
  });
  it("publishes only a draft of an approved provider", () => {
    const state = { status: "draft" as const, providerStatus: "approved" as const, fundingKind: "free" as const, certification: null };
    expect(decideProgram(state, { kind: "publish" }, "2026-09-01")).toBe("published");
    expect(codeOf(() => decideProgram({ ...state, providerStatus: "suspended" }, { kind: "publish" }, "2026-09-01"))).toBe("CATALOGUE.PROVIDER_NOT_APPROVED");
    expect(codeOf(() => decideProgram({ ...state, status: "published" }, { kind: "publish" }, "2026-09-01"))).toBe("CATALOGUE.PROGRAM_TRANSITION");
    expect(decideProgram({ ...state, status: "published" }, { kind: "withdraw" }, "2026-09-01")).toBe("withdrawn");
    expect(codeOf(() => decideProgram({ ...state, status: "withdrawn" }, { kind: "edit" }, "2026-09-01"))).toBe("CATALOGUE.PROGRAM_WITHDRAWN");
  });
});

describe("group schedules", () => {
  const plan = (slots: GroupPlan["schedule"]["slots"]): GroupPlan => ({
    capacity: 10,
    schedule: { timeZone: "Asia/Almaty", slots },
    startsOn: "2026-09-01",
    endsOn: "2027-05-31",
    exceptions: [],
  });
  it("accepts back-to-back slots and the same hours on different days", () => {
    expect(codeOf(() => checkGroupPlan(plan([{ weekday: 1, start: "10:00", end: "11:00" }, { weekday: 1, start: "11:00", end: "12:00" }, { weekday: 2, start: "10:30", end: "11:30" }]), "Asia/Almaty", "2026-08-20"))).toBeUndefined();
  });
  it("names the later of two overlapping slots", () => {
    expect(codeOf(() => checkGroupPlan(plan([{ weekday: 5, start: "17:00", end: "18:00" }, { weekday: 5, start: "16:00", end: "17:01" }]), "Asia/Almaty", "2026-08-20"))).toBe("CATALOGUE.SLOTS_OVERLAP schedule.slots.1");
  });
  it("refuses a schedule in another zone than the municipality's", () => {
    expect(codeOf(() => checkGroupPlan(plan([]), "Asia/Kamchatka", "2026-08-20"))).toBe("CATALOGUE.SCHEDULE_ZONE_MISMATCH schedule.timeZone");
  });
  it("refuses a group starting in the distant past (a year typed 1900 for 2026), and takes one that started this spring", () => {
    expect(codeOf(() => checkGroupPlan({ ...plan([]), startsOn: "1900-09-01" }, "Asia/Almaty", "2026-08-20"))).toBe("CATALOGUE.DATE_IMPLAUSIBLE startsOn");
    expect(codeOf(() => checkGroupPlan({ ...plan([]), startsOn: "2021-08-19" }, "Asia/Almaty", "2026-08-20"))).toBe("CATALOGUE.DATE_IMPLAUSIBLE startsOn");
    expect(codeOf(() => checkGroupPlan({ ...plan([]), startsOn: "2026-03-01" }, "Asia/Almaty", "2026-08-20"))).toBeUndefined();
  });
});

describe("who sees a program, and whether its groups take applications", () => {
  const program = { providerId: "p1", municipalityId: "m1", regionCode: "41", status: "draft" as const, providerStatus: "approved" as const };
  it("shows a draft to its provider, the offices of its municipality and the officials of its region, to nobody else", () => {
    expect(visibleTo(null, program)).toBe(false);
    expect(visibleTo({ subject: "s", role: "provider", providerId: "p1" }, program)).toBe(true);
    expect(visibleTo({ subject: "s", role: "provider", providerId: "p2" }, program)).toBe(false);
    expect(visibleTo({ subject: "s", role: "operator", municipalityId: "m1" }, program)).toBe(true);
    expect(visibleTo({ subject: "s", role: "municipality", municipalityId: "m2" }, program)).toBe(false);
    expect(visibleTo({ subject: "s", role: "region", regionCode: "41" }, program)).toBe(true);
    expect(visibleTo({ subject: "s", role: "region", regionCode: "11" }, program)).toBe(false);
    expect(visibleTo({ subject: "s", role: "region", regionCode: "41" }, { ...program, regionCode: null })).toBe(false);
    expect(visibleTo({ subject: "s", role: "ministry", allRegions: true }, program)).toBe(false);
    expect(visibleTo({ subject: "s", role: "guardian", municipalityId: "m1" }, program)).toBe(false);
  });
  it("lists a published program of an approved provider to everyone, and hides a suspended provider's", () => {
    expect(visibleTo(null, { ...program, status: "published" })).toBe(true);
    expect(visibleTo(null, { ...program, status: "published", providerStatus: "suspended" })).toBe(false);
  });
  it("takes applications in an open group of a listed program, a financed one while its certification is in force", () => {
    const listed = { status: "published" as const, providerStatus: "approved" as const, fundingKind: "financed" as const, certification: { number: "1", date: "2026-01-01", expiry: "2026-12-31" } };
    expect(acceptsApplications(listed, "open", "2026-12-31")).toBe(true);
    expect(acceptsApplications(listed, "open", "2027-01-01")).toBe(false);
    expect(acceptsApplications(listed, "closed", "2026-09-01")).toBe(false);
    expect(acceptsApplications({ ...listed, providerStatus: "suspended" }, "open", "2026-09-01")).toBe(false);
    expect(acceptsApplications({ ...listed, fundingKind: "paid", certification: null }, "open", "2027-01-01")).toBe(true);
  });
});

describe("a provider's status", () => {
  it("announces its groups on a suspension of an approved provider and on its reinstatement, on nothing else", () => {
    expect(decideProviderGroups("approved", "suspended")).toBe("provider_suspended");
    expect(decideProviderGroups("suspended", "approved")).toBe("provider_reinstated");
    expect(decideProviderGroups(undefined, "approved")).toBeNull();
    expect(decideProviderGroups("approved", "approved")).toBeNull();
    expect(decideProviderGroups("suspended", "suspended")).toBeNull();
  });
});

describe("certificate coverage", () => {
  it("pays the hourly price while the program fits in the nominal, else the nominal spread over its hours", () => {
    // Within the nominal: no co-payment shown.
    expect(certificateCoverage("financed", 10_000, 72, 1_500_000, "RUB")).toMatchObject({ basis: "estimate", rule: "price_within_nominal", certificatePaysPerHour: 10_000, familyCoPaymentPerHour: null });
    // Over it: an estimate of the co-payment, with its rule in both languages.
    const over = certificateCoverage("financed", 25_000, 72, 1_500_000, "RUB");
    expect(over).toMatchObject({ rule: "nominal_over_program_hours", certificatePaysPerHour: 20_833, familyCoPaymentPerHour: 4_167 });
    expect(over?.explanation.ru).toMatch(/^Оценка/);
    // Kazakhstan's vouchers are free to families, whatever the price.
    expect(certificateCoverage("financed", 25_000, 72, 1_500_000, "KZT")).toMatchObject({ rule: "voucher_pays_all", familyCoPaymentPerHour: null });
    expect(certificateCoverage("financed", 25_000, 72, null, "RUB")).toBeNull();
    expect(certificateCoverage("paid", 25_000, 72, 1_500_000, "RUB")).toBeNull();
    expect(certificateCoverage("free", 0, 72, 1_500_000, "RUB")).toBeNull();
  });
});

describe("reviews", () => {
  const facts = { programId: "p", status: "ended" as const, guardianIds: ["g"], alreadyReviewed: false };
  it("lets a guardian of the child review an ended enrollment once", () => {
    expect(codeOf(() => decideReview("p", "g", facts))).toBeUndefined();
    expect(codeOf(() => decideReview("p", "other", facts))).toBe("CATALOGUE.NOT_YOUR_CHILD enrollmentId");
    expect(codeOf(() => decideReview("p", "g", { ...facts, status: "active" }))).toBe("CATALOGUE.ENROLLMENT_NOT_ENDED enrollmentId");
    expect(codeOf(() => decideReview("p", "g", { ...facts, alreadyReviewed: true }))).toBe("CATALOGUE.REVIEW_EXISTS enrollmentId");
  });
});

describe("search helpers", () => {
  it("round-trips a cursor and refuses one of another ordering or a forged one", () => {
    const cursor = { order: "distance" as const, key: 1234.5678901234, id: "0190a0c4-1d2e-7000-8000-000000000001" };
    expect(decodeCursor(encodeCursor(cursor), "distance")).toEqual(cursor);
    expect(codeOf(() => decodeCursor(encodeCursor(cursor), "id"))).toBe("CATALOGUE.CURSOR_INVALID cursor");
    expect(codeOf(() => decodeCursor("!!!", "id"))).toBe("CATALOGUE.CURSOR_INVALID cursor");
  });
  it("turns free text into a safe prefix tsquery, keeping Kazakh letters", () => {
    expect(prefixQuery("Домбыра  ҮЙІРМЕ!")).toBe("домбыра:* & үйірме:*");
    expect(prefixQuery("'&|!:*")).toBeNull();
  });
});

describe("distance tie-break", () => {
  it("moves each program's search point by under 0.2 mm, differently for programs at one address", async () => {
    const { geoLatitude } = await import("../src/store/programs");
    const a = geoLatitude("0190a0c4-1d2e-7000-8000-000000000001", 53.0245);
    const b = geoLatitude("0190a0c4-1d2e-7000-8000-000000000002", 53.0245);
    expect(a).not.toBe(b);
    expect(Math.abs(a - 53.0245)).toBeLessThan(1e-6);
  });
});
