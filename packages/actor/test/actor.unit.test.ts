import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { isDomainError } from "@kruzhok/errors";
import { actorError, requireMunicipality, requireRole, type Actor } from "../src";

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
