import { describe, expect, it } from "vitest";
import { DomainError } from "@kruzhok/errors";
import { assertBornBy } from "../src/domain/age";
import { decideCategories } from "../src/domain/categories";
import { conversionObstacle, refusalError, type Certificate, type ConversionRefusal } from "../src/domain/certificate";
import { documentProblem } from "../src/domain/documents";
import { assertStillIssuable, decideHeldApplication, decideIssuance, mergedGuardians, type Applicant } from "../src/domain/issuance";
import { nameSkeleton, namesMatch, samePersonAs } from "../src/domain/person-match";

function errorOf(fn: () => unknown): DomainError | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  return undefined;
}

describe("the same child, whatever the document", () => {
  it("reduces a name to what survives transliteration, ё/е and Kazakh letters", () => {
    expect(nameSkeleton("Пётр")).toBe(nameSkeleton("Petr"));
    expect(nameSkeleton("Юлия")).toBe(nameSkeleton("Yuliya"));
    expect(nameSkeleton("Алексей")).toBe(nameSkeleton("Alexey"));
    expect(nameSkeleton("Жанна")).toBe(nameSkeleton("Zhanna"));
    expect(nameSkeleton("Әлихан")).toBe(nameSkeleton("Alikhan"));
  });

  it("matches names one letter apart, not names further apart", () => {
    expect(namesMatch("Иванов", "Иваноф")).toBe(true);
    expect(namesMatch("Смирнова", "Smirnova")).toBe(true);
    expect(namesMatch("Иванов", "Петров")).toBe(false);
    expect(namesMatch("\u200b", "\u200b")).toBe(false);
    // Numbered records match only exactly: 820299 is not 820229, though each has a doubled digit.
    expect(namesMatch("Петрова820299", "Петрова820229")).toBe(false);
    expect(namesMatch("Петрова820299", "Petrova820299")).toBe(true);
  });

  it("suspects only a child born the same day whose last and first names both match", () => {
    const others = [
      { id: "other-day", lastName: "Иванов", firstName: "Пётр", birthDate: "2016-03-15" },
      { id: "brother", lastName: "Иванов", firstName: "Павел", birthDate: "2016-03-14" },
      { id: "same", lastName: "Ivanov", firstName: "Petr", birthDate: "2016-03-14" },
    ];
    expect(samePersonAs({ lastName: "Иванов", firstName: "Пётр", birthDate: "2016-03-14" }, others)?.id).toBe("same");
    expect(samePersonAs({ lastName: "Иванов", firstName: "Пётр", birthDate: "2016-03-14" }, others.slice(0, 2))).toBeUndefined();
  });
});

describe("an application for a certificate", () => {
  const now = new Date("2026-09-01T20:00:00Z");
  const applicant = (overrides: Partial<Applicant> = {}): Applicant => ({
    birthDate: "2016-03-14",
    lastName: "Иванов",
    firstName: "Пётр",
    certified: false,
    held: false,
    mergedInto: null,
    certifiedSameDay: [],
    ...overrides,
  });

  it("issues a certificate to a child aged 5-17 on the municipality's calendar", () => {
    expect(decideIssuance(applicant(), now, "Asia/Kamchatka")).toEqual({ kind: "issue" });
    // 20:00 UTC on 1 September is 2 September in Kamchatka: the child is 5 there, still 4 in Moscow.
    expect(decideIssuance(applicant({ birthDate: "2021-09-02" }), now, "Asia/Kamchatka")).toEqual({ kind: "issue" });
    expect(errorOf(() => decideIssuance(applicant({ birthDate: "2021-09-02" }), now, "Europe/Moscow"))?.code).toBe("REGISTRY.AGE_OUT_OF_RANGE");
  });

  it("refuses a child who holds a certificate, naming the command's field", () => {
    const error = errorOf(() => decideIssuance(applicant({ certified: true, held: true }), now, "Asia/Kamchatka"));
    expect(error?.code).toBe("REGISTRY.CERTIFICATE_EXISTS");
    expect(error?.details.field).toBe("childId");
  });

  it("holds for an operator when a certified child born the same day has a matching name, whatever the documents, and answers with the waiting application after", () => {
    const namesake = { id: "namesake", lastName: "Ivanov", firstName: "Petr", birthDate: "2016-03-14" };
    expect(decideIssuance(applicant({ certifiedSameDay: [namesake] }), now, "Asia/Kamchatka")).toMatchObject({ kind: "hold", similarChildId: "namesake" });
    expect(decideIssuance(applicant({ certifiedSameDay: [namesake], held: true }), now, "Asia/Kamchatka")).toEqual({ kind: "held" });
    const sibling = { id: "sibling", lastName: "Иванова", firstName: "Мария", birthDate: "2016-03-14" };
    expect(decideIssuance(applicant({ certifiedSameDay: [sibling] }), now, "Asia/Kamchatka")).toEqual({ kind: "issue" });
  });

  it("refuses a record an operator merged into the child's other record, pointing at it", () => {
    const error = errorOf(() => decideIssuance(applicant({ mergedInto: "kept" }), now, "Asia/Kamchatka"));
    expect(error?.code).toBe("REGISTRY.CHILD_MERGED");
    expect(error?.details.field).toBe("childId");
  });

  it("is decided by an operator once, and approved only while the child may still have a certificate", () => {
    expect(decideHeldApplication("held", "approve")).toBe("approved");
    expect(decideHeldApplication("held", "reject")).toBe("rejected");
    expect(decideHeldApplication("held", "merge")).toBe("merged");
    expect(errorOf(() => decideHeldApplication("merged", "merge"))?.code).toBe("REGISTRY.APPLICATION_DECIDED");
    expect(mergedGuardians(["a", "b"], ["b", "c"])).toEqual(["a", "b", "c"]);
    expect(errorOf(() => decideHeldApplication("rejected", "approve"))?.code).toBe("REGISTRY.APPLICATION_DECIDED");
    expect(errorOf(() => assertStillIssuable({ certified: false, birthDate: "2016-03-14" }, now, "Asia/Kamchatka"))).toBeUndefined();
    expect(errorOf(() => assertStillIssuable({ certified: true, birthDate: "2016-03-14" }, now, "Asia/Kamchatka"))?.code).toBe("REGISTRY.CERTIFICATE_EXISTS");
    expect(errorOf(() => assertStillIssuable({ certified: false, birthDate: "2008-08-31" }, now, "Asia/Kamchatka"))?.code).toBe("REGISTRY.AGE_OUT_OF_RANGE");
  });
});

describe("birth dates", () => {
  it("refuses a birth date after today on the municipality's calendar, naming the field", () => {
    // 20:00 UTC on 1 September is already 2 September in Kamchatka, not yet in Moscow.
    const now = new Date("2026-09-01T20:00:00Z");
    expect(errorOf(() => assertBornBy("2026-09-02", now, "Asia/Kamchatka"))).toBeUndefined();
    const error = errorOf(() => assertBornBy("2026-09-02", now, "Europe/Moscow"));
    expect(error?.code).toBe("REGISTRY.BIRTH_DATE_IN_FUTURE");
    expect(error?.details.field).toBe("birthDate");
  });
});

describe("guardian documents", () => {
  it("check an IIN's check digit without a birth date to compare it with", () => {
    expect(documentProblem("iin", "160314600216")).toBeUndefined();
    expect(documentProblem("iin", "160314600217")).toMatch(/check digit/);
    expect(documentProblem("passport", "45 10 123456")).toBeUndefined();
  });
});

describe("categories", () => {
  it("refuses the same category claimed twice, naming the second", () => {
    const claim = { code: "orphan", proof: { kind: "решение суда", number: "2-114/2026", issuer: "Сыктывкарский городской суд", issuedOn: "2026-01-01" } };
    const error = errorOf(() => decideCategories([claim, claim], new Set(["orphan"]), "2026-03-01", "categories"));
    expect(error?.code).toBe("REGISTRY.CATEGORY_DUPLICATE");
    expect(error?.details.field).toBe("categories.1.code");
  });
});

describe("conversion to financed", () => {
  const active: Certificate = { status: "active", funding: "accounting", financedYear: null };

  it("refuses a year that has ended in the municipality as having no settings", () => {
    expect(conversionObstacle(active, 2025, 2026)).toBe("no_year_settings");
    expect(conversionObstacle(active, 2026, 2026)).toBeUndefined();
    expect(conversionObstacle(active, 2027, 2026)).toBeUndefined();
  });

  it("lets a certificate financed last year be financed again this year", () => {
    expect(conversionObstacle({ status: "active", funding: "financed", financedYear: 2025 }, 2026, 2026)).toBeUndefined();
    expect(conversionObstacle({ status: "active", funding: "financed", financedYear: 2026 }, 2026, 2026)).toBe("already_financed");
  });

  it("maps every refusal to its stable code for HTTP callers", () => {
    const codes: Record<ConversionRefusal, string> = {
      cap_reached: "REGISTRY.CAP_REACHED",
      no_year_settings: "REGISTRY.NO_YEAR_SETTINGS",
      certificate_not_active: "REGISTRY.CERTIFICATE_NOT_ACTIVE",
      already_financed: "REGISTRY.ALREADY_FINANCED",
    };
    for (const [reason, code] of Object.entries(codes)) {
      const error = refusalError(reason as ConversionRefusal, 2026);
      expect(error.code).toBe(code);
      expect(["conflict", "illegal_state"]).toContain(error.category);
    }
  });
});
