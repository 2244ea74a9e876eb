import { describe, expect, it } from "vitest";
import { DomainError } from "@kruzhok/errors";
import { ageBand, assertIssuableAge } from "../src/domain/age";
import { activeCategories, decideCategories, planCategories } from "../src/domain/categories";
import { decide, type Certificate } from "../src/domain/certificate";
import { certificateNumber, isValidCertificateNumber } from "../src/domain/certificate-number";
import { documentHash, documentProblem, isValidIin, isValidSnils, oneCharacterApart } from "../src/domain/documents";
import { decideProvider, decideProviderApplication, type ProviderState } from "../src/domain/provider";
import { announcedOnSave, decideYearSettings, defaultEffectiveFrom, versionOn, type YearSettings } from "../src/domain/year-settings";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return undefined;
}

function errorOf(fn: () => unknown): DomainError | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  return undefined;
}

describe("identity documents", () => {
  it("checks SNILS check digits", () => {
    expect(isValidSnils("112-233-445 95")).toBe(true);
    expect(isValidSnils("112-233-445 96")).toBe(false);
    expect(isValidSnils("1122334459")).toBe(false);
  });

  it("checks IIN check digits and that the IIN begins with the birth date", () => {
    expect(isValidIin("160314600216")).toBe(true);
    expect(isValidIin("160314600217")).toBe(false);
    expect(isValidIin("160314600216", "2016-03-14")).toBe(true);
    expect(documentProblem("iin", "160314600216", "2016-03-15")).toMatch(/does not match the birth date/);
    expect(documentProblem("iin", "160314600217", "2016-03-14")).toMatch(/check digit/);
  });

  it("accepts birth certificate numbers in the Russian form", () => {
    expect(documentProblem("birth_certificate", "IV-АБ 123456", "2016-03-14")).toBeUndefined();
    expect(documentProblem("birth_certificate", "АБ 123456", "2016-03-14")).toMatch(/IV-АБ 123456/);
  });

  it("matches documents typed differently by one normalised hash", () => {
    expect(documentHash("snils", "112-233-445 95")).toBe(documentHash("snils", "11223344595"));
    expect(documentHash("birth_certificate", "iv-ав 123456")).toBe(documentHash("birth_certificate", "IV-AB123456"));
    expect(documentHash("snils", "11223344595")).not.toBe(documentHash("iin", "11223344595"));
  });

  it("spots numbers one character apart: substituted, added or dropped", () => {
    expect(oneCharacterApart("IVAB123456", "IVAB123457")).toBe(true);
    expect(oneCharacterApart("IVAB123456", "IVAB1234567")).toBe(true);
    expect(oneCharacterApart("IVAB123456", "IVAB12345")).toBe(true);
    expect(oneCharacterApart("IVAB123456", "IVAB123456")).toBe(false);
    expect(oneCharacterApart("IVAB123456", "IVAB123465")).toBe(false);
  });
});

describe("certificate numbers", () => {
  it("are municipality code, serial and a Luhn check digit", () => {
    expect(certificateNumber("4101", 42)).toBe("4101-00000042-4");
    expect(isValidCertificateNumber("4101-00000042-4")).toBe(true);
    expect(isValidCertificateNumber("4101-00000042-5")).toBe(false);
  });
});

describe("age at issue, on the municipality's calendar", () => {
  // Born 2021-03-15: turns 5 at local midnight. In Kamchatka (UTC+12) that midnight is 12:00 UTC
  // of 14 March, when it is still the 14th in UTC.
  const birth = "2021-03-15";
  it("issues to a child who turned 5 at local midnight in Kamchatka while UTC is still on the day before", () => {
    expect(assertIssuableAge(birth, new Date("2026-03-14T12:00:00Z"), "Asia/Kamchatka")).toBe(5);
  });
  it("refuses the same child a minute before local midnight", () => {
    expect(codeOf(() => assertIssuableAge(birth, new Date("2026-03-14T11:59:00Z"), "Asia/Kamchatka"))).toBe("REGISTRY.AGE_OUT_OF_RANGE");
  });
  it("refuses an 18-year-old and names the field", () => {
    try {
      assertIssuableAge("2008-01-01", new Date("2026-06-01T00:00:00Z"), "Europe/Moscow");
      expect.unreachable();
    } catch (error) {
      expect((error as DomainError).details.field).toBe("child.birthDate");
    }
  });
  it("bands ages without revealing the birth date", () => {
    expect([5, 6, 7, 10, 11, 14, 15, 17].map(ageBand)).toEqual(["5-6", "5-6", "7-10", "7-10", "11-14", "11-14", "15-17", "15-17"]);
  });
});

describe("certificate life", () => {
  const active: Certificate = { status: "active", funding: "financed", financedYear: 2026 };
  it("suspends, resumes and closes", () => {
    const suspended = decide(active, { kind: "suspend", reason: "documents check", code: "documents_check" });
    expect(suspended.status).toBe("suspended");
    expect(decide(suspended, { kind: "resume" })).toEqual(active);
    expect(decide(suspended, { kind: "close", reason: "left_region", comment: null }).status).toBe("closed");
  });
  it("refuses to resume an active certificate or touch a closed one", () => {
    expect(codeOf(() => decide(active, { kind: "resume" }))).toBe("REGISTRY.CERTIFICATE_TRANSITION");
    const closed = decide(active, { kind: "close", reason: "turned_18", comment: null });
    expect(codeOf(() => decide(closed, { kind: "suspend", reason: "x", code: "other" }))).toBe("REGISTRY.CERTIFICATE_TRANSITION");
    expect(codeOf(() => decide(closed, { kind: "move" }))).toBe("REGISTRY.CERTIFICATE_TRANSITION");
  });
  it("arrives in a new municipality on accounting status", () => {
    expect(decide(active, { kind: "move" })).toEqual({ status: "active", funding: "accounting", financedYear: null });
  });
});

describe("a provider's application", () => {
  const passed = { staff: "passed", premises: "passed", safety: "passed" } as const;
  const applied: ProviderState = decideProviderApplication({ kind: "private", taxId: "7701234567" });

  it("opens with every check pending, unless an entrepreneur's INN is not 12 digits", () => {
    expect(applied).toEqual({ status: "applied", checks: { staff: "pending", premises: "pending", safety: "pending" }, rejectionReasons: null, suspendedReason: null });
    expect(codeOf(() => decideProviderApplication({ kind: "entrepreneur", taxId: "7701234567" }))).toBe("REGISTRY.TAX_ID_INVALID");
    expect(decideProviderApplication({ kind: "entrepreneur", taxId: "770123456789" }).status).toBe("applied");
  });

  it("is approved only once every check passed", () => {
    expect(codeOf(() => decideProvider(applied, { kind: "approve" }))).toBe("REGISTRY.PROVIDER_CHECKS_INCOMPLETE");
    const checked = decideProvider(applied, { kind: "record_checks", checks: passed });
    expect(checked).toEqual({ ...applied, checks: passed });
    expect(decideProvider(checked, { kind: "approve" }).status).toBe("approved");
  });

  it("keeps the reasons of a rejection and of a suspension, and forgets the suspension's on reinstatement", () => {
    expect(decideProvider(applied, { kind: "reject", reasons: ["no licence"], code: "licence_invalid" })).toMatchObject({ status: "rejected", rejectionReasons: ["no licence"] });
    const approved = decideProvider(decideProvider(applied, { kind: "record_checks", checks: passed }), { kind: "approve" });
    const suspended = decideProvider(approved, { kind: "suspend", reason: "complaint", code: "complaint" });
    expect(suspended).toMatchObject({ status: "suspended", suspendedReason: "complaint" });
    expect(decideProvider(suspended, { kind: "reinstate" })).toMatchObject({ status: "approved", suspendedReason: null });
  });

  it("refuses a transition its status does not allow", () => {
    const rejected = decideProvider(applied, { kind: "reject", reasons: ["no licence"], code: "licence_invalid" });
    expect(codeOf(() => decideProvider(rejected, { kind: "approve" }))).toBe("REGISTRY.PROVIDER_TRANSITION");
    expect(codeOf(() => decideProvider(rejected, { kind: "record_checks", checks: passed }))).toBe("REGISTRY.PROVIDER_TRANSITION");
    expect(codeOf(() => decideProvider(applied, { kind: "suspend", reason: "complaint", code: "complaint" }))).toBe("REGISTRY.PROVIDER_TRANSITION");
    expect(codeOf(() => decideProvider(applied, { kind: "reinstate" }))).toBe("REGISTRY.PROVIDER_TRANSITION");
  });
});

describe("year settings", () => {
  const settings: YearSettings = {
    year: 2027,
    nominal: 1_500_000,
    budget: 1_000_000_000,
    financedCap: 100,
    childrenPopulation: 5000,
    categories: [{ code: "orphan", coefficient: 1.5 }],
    maxOpenApplications: 5,
    deadlines: { offerAcceptanceDays: 5, providerReviewWorkingDays: 3, monthCloseDay: 5 },
  };
  it("can be set before the year starts", () => {
    expect(() => decideYearSettings(settings, "2027-01-01", { existing: undefined, financedCount: 0 }, new Date("2026-11-25T00:00:00Z"), "Asia/Kamchatka")).not.toThrow();
  });
  it("are read-only once the year has ended in the municipality's zone", () => {
    // 2027-12-31T12:00Z is already 2028-01-01 in Kamchatka, still 2027 in Moscow.
    const at = new Date("2027-12-31T12:30:00Z");
    expect(codeOf(() => decideYearSettings(settings, "2027-12-31", { existing: settings, financedCount: 0 }, at, "Asia/Kamchatka"))).toBe("REGISTRY.YEAR_IN_THE_PAST");
    expect(codeOf(() => decideYearSettings(settings, "2027-12-31", { existing: settings, financedCount: 0 }, at, "Europe/Moscow"))).toBeUndefined();
  });
  it("keep the nominal and a cap no lower than what is financed", () => {
    const now = new Date("2027-03-01T00:00:00Z");
    expect(codeOf(() => decideYearSettings({ ...settings, nominal: 1 }, "2027-03-01", { existing: settings, financedCount: 3 }, now, "UTC"))).toBe("REGISTRY.NOMINAL_FIXED");
    expect(codeOf(() => decideYearSettings({ ...settings, financedCap: 2 }, "2027-03-01", { existing: settings, financedCount: 3 }, now, "UTC"))).toBe("REGISTRY.CAP_BELOW_FINANCED");
    expect(codeOf(() => decideYearSettings({ ...settings, financedCap: 3, budget: 5 }, "2027-03-01", { existing: settings, financedCount: 3 }, now, "UTC"))).toBeUndefined();
  });
  it("take effect from a date in their year, not before today in the municipality's zone", () => {
    // 2027-03-01T20:00Z is already 2 March in Kamchatka.
    const now = new Date("2027-03-01T20:00:00Z");
    expect(codeOf(() => decideYearSettings(settings, "2027-03-01", { existing: undefined, financedCount: 0 }, now, "Asia/Kamchatka"))).toBe("REGISTRY.YEAR_SETTINGS_RETROACTIVE");
    expect(codeOf(() => decideYearSettings(settings, "2027-03-01", { existing: undefined, financedCount: 0 }, now, "UTC"))).toBeUndefined();
    expect(codeOf(() => decideYearSettings(settings, "2028-01-01", { existing: undefined, financedCount: 0 }, now, "UTC"))).toBe("REGISTRY.YEAR_DATE_OUTSIDE_YEAR");
    expect(decideYearSettings(settings, "2027-06-01", { existing: undefined, financedCount: 0 }, now, "UTC")).toEqual({ effectiveFrom: "2027-06-01", settings });
  });
  it("default to today, or to 1 January for a year not begun", () => {
    expect(defaultEffectiveFrom(2027, "2026-11-25")).toBe("2027-01-01");
    expect(defaultEffectiveFrom(2027, "2027-03-02")).toBe("2027-03-02");
  });
  it("in force on a day: the latest effective date not after it, ties by the later save", () => {
    const versions = [
      { effectiveFrom: "2027-01-01", id: "a" },
      { effectiveFrom: "2027-06-01", id: "b" },
      { effectiveFrom: "2027-03-01", id: "c" },
      { effectiveFrom: "2027-03-01", id: "d" },
    ];
    expect(versionOn(versions, "2026-12-31")).toBeUndefined();
    expect(versionOn(versions, "2027-02-28")?.id).toBe("a");
    expect(versionOn(versions, "2027-03-01")?.id).toBe("d");
    expect(versionOn(versions, "2027-05-31")?.id).toBe("d");
    expect(versionOn(versions, "2027-06-01")?.id).toBe("b");
  });
});

describe("social categories", () => {
  const known = new Set(["large_family", "low_income"]);
  const proof = (issuedOn: string) => ({ kind: "справка органа соцзащиты", number: "12-345", issuer: "УСЗН г. Сыктывкара", issuedOn });
  it("refuses a code the municipality does not use, naming the field", () => {
    try {
      decideCategories([{ code: "orphan", proof: proof("2026-01-01") }], known, "2026-03-01");
      expect.unreachable();
    } catch (error) {
      expect((error as DomainError).code).toBe("REGISTRY.CATEGORY_UNKNOWN");
      expect((error as DomainError).details.field).toBe("categories.0.code");
    }
  });
  it("holds a low-income proof one year from its issue at most, whoever asks for longer", () => {
    const [record] = decideCategories([{ code: "low_income", proof: proof("2026-02-01") }], known, "2026-03-01");
    expect(record).toMatchObject({ validFrom: "2026-02-01", validUntil: "2027-01-31" });
    const longer = errorOf(() => decideCategories([{ code: "low_income", proof: proof("2026-02-01"), validUntil: "2027-02-01" }], known, "2026-03-01"));
    expect(longer?.code).toBe("REGISTRY.CATEGORY_PROOF_TOO_LONG");
    expect(longer?.details.field).toBe("categories.0.validUntil");
    expect(activeCategories([record!], "2027-02-01")).toEqual([]);
    expect(activeCategories([record!], "2027-01-31")).toEqual(["low_income"]);
  });
  it("refuses a proof dated after today, or one that has already run out", () => {
    const future = errorOf(() => decideCategories([{ code: "large_family", proof: proof("2026-03-02") }], known, "2026-03-01"));
    expect(future).toMatchObject({ code: "REGISTRY.CATEGORY_PROOF_NOT_YET_ISSUED", details: { field: "categories.0.proof.issuedOn" } });
    const expired = errorOf(() => decideCategories([{ code: "low_income", proof: proof("2025-02-01") }], known, "2026-03-01"));
    expect(expired).toMatchObject({ code: "REGISTRY.CATEGORY_PROOF_EXPIRED", details: { field: "categories.0.validUntil" } });
  });
});

describe("a new list of categories", () => {
  const record = (code: string, number: string, validUntil = "2027-01-31") => ({
    code,
    proof: { kind: "справка", number, issuer: "УСЗН", issuedOn: "2026-02-01" },
    validFrom: "2026-02-01",
    validUntil,
  });
  it("makes a family's new or renewed claim wait for the office, keeping what is verified meanwhile", () => {
    const plan = planCategories([record("low_income", "2"), record("large_family", "7")], { verified: [record("low_income", "1")], pending: [] }, "family");
    expect(plan).toEqual({ remove: [], verify: [], pending: [record("low_income", "2"), record("large_family", "7")], withdraw: [] });
  });
  it("verifies an office's claims at once and withdraws what waited for the same category", () => {
    const plan = planCategories([record("low_income", "2")], { verified: [], pending: [record("low_income", "1")] }, "office");
    expect(plan).toEqual({ remove: [], verify: [record("low_income", "2")], pending: [], withdraw: ["low_income"] });
  });
  it("changes nothing for an unchanged list, and drops a category the family no longer claims at once", () => {
    const verified = [record("low_income", "1"), record("large_family", "7")];
    expect(planCategories(verified, { verified, pending: [] }, "family")).toEqual({ remove: [], verify: [], pending: [], withdraw: [] });
    expect(planCategories([record("low_income", "1")], { verified, pending: [record("large_family", "8")] }, "family")).toEqual({
      remove: ["large_family"],
      verify: [],
      pending: [],
      withdraw: ["large_family"],
    });
  });
  it("does not send a verified category back for a check when the family repeats its waiting claim", () => {
    const pending = [record("low_income", "2")];
    expect(planCategories(pending, { verified: [record("low_income", "1")], pending }, "family")).toEqual({ remove: [], verify: [], pending: [], withdraw: [] });
  });

  it("announces a version when saved if it is in force already or governs a year ahead from its first day, otherwise on its date", () => {
    const settings = { year: 2026 } as Parameters<typeof announcedOnSave>[0]["settings"];
    expect(announcedOnSave({ effectiveFrom: "2026-09-01", settings }, "2026-09-01")).toBe(true);
    expect(announcedOnSave({ effectiveFrom: "2026-10-01", settings }, "2026-09-01")).toBe(false);
    const ahead = { year: 2027 } as Parameters<typeof announcedOnSave>[0]["settings"];
    expect(announcedOnSave({ effectiveFrom: "2027-01-01", settings: ahead }, "2026-09-01")).toBe(true);
    expect(announcedOnSave({ effectiveFrom: "2027-03-01", settings: ahead }, "2026-09-01")).toBe(false);
  });
});
