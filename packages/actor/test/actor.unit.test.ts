import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { isDomainError } from "@kruzhok/errors";
import { actorError, parseActingBasis, requireBasis, requireMunicipality, requireRole, withBasis, type Actor } from "../src";

const municipalityId = randomUUID();
const refusalOf = (action: () => unknown) => {
  try {
    action();
  } catch (error) {
    return isDomainError(error) ? `${error.category} ${error.code}` : "not a domain error";
  }
  return "no error";
};

describe("role and tenancy checks", () => {
  const provider: Actor = { subject: "p", role: "provider", municipalityId, providerId: randomUUID() };

  it("requireRole returns the actor, or refuses with AUTH.FORBIDDEN_ROLE", () => {
    expect(requireRole(provider, "provider", "operator")).toBe(provider);
    expect(refusalOf(() => requireRole(provider, "guardian"))).toBe("forbidden AUTH.FORBIDDEN_ROLE");
  });

  it("requireMunicipality lets region and ministry anywhere, the rest only home", () => {
    expect(refusalOf(() => requireMunicipality(provider, municipalityId))).toBe("no error");
    expect(refusalOf(() => requireMunicipality(provider, randomUUID()))).toBe("forbidden AUTH.OTHER_MUNICIPALITY");
    expect(refusalOf(() => requireMunicipality({ subject: "o", role: "operator" }, municipalityId))).toBe("forbidden AUTH.OTHER_MUNICIPALITY");
    for (const role of ["region", "ministry"] as const) {
      expect(refusalOf(() => requireMunicipality({ subject: "r", role }, randomUUID()))).toBe("no error");
    }
  });

  it("names the command's field a refusal is about", () => {
    const error = actorError("AUTH.OTHER_MUNICIPALITY", "The guardian is registered in another municipality", { field: "guardianIds.0" });
    expect([error.code, error.category, error.details.field]).toEqual(["AUTH.OTHER_MUNICIPALITY", "forbidden", "guardianIds.0"]);
    try {
      requireMunicipality(provider, randomUUID(), { field: "municipalityId" });
    } catch (refusal) {
      expect(isDomainError(refusal) && refusal.details.field).toBe("municipalityId");
    }
    expect.assertions(2);
  });
});

describe("the basis an operator states when acting for a family", () => {
  it("reads the Acting-Basis header: a kind, and a written request's percent-encoded number", () => {
    expect(parseActingBasis("in_person_visit")).toEqual({ kind: "in_person_visit", reference: null });
    expect(parseActingBasis(`written_request; ref=${encodeURIComponent("ВХ-2026/154")}`)).toEqual({ kind: "written_request", reference: "ВХ-2026/154" });
    for (const bad of ["", "phone_call", "in_person_visit;", "written_request; ref=", "written_request; number=1", "written_request; ref=1; ref=2", "written_request; ref=%E0%A4%A", `written_request; ref=${"1".repeat(41)}`, "written_request; ref=%E2%80%8B1"]) {
      expect(typeof parseActingBasis(bad), bad).toBe("string");
    }
  });

  it("is required of an operator only: a guardian acts for themself, staff in their own authority", () => {
    const operator: Actor = { subject: "o", role: "operator", municipalityId: "m" };
    expect(() => requireBasis(operator)).toThrow(expect.objectContaining({ code: "AUTH.BASIS_REQUIRED", details: { field: "acting-basis" } }) as Error);
    expect(requireBasis(withBasis(operator, "in_person_visit"))).toEqual({ kind: "in_person_visit", reference: null });
    expect(requireBasis({ subject: "g", role: "guardian", guardianId: "g" })).toBeNull();
    expect(requireBasis({ subject: "m", role: "municipality", municipalityId: "m" })).toBeNull();
    expect(() => withBasis(operator, "by_phone")).toThrow(expect.objectContaining({ code: "AUTH.BASIS_INVALID" }) as Error);
  });
});
