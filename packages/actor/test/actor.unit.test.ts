import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { isDomainError } from "@kruzhok/errors";
import { actorError, parseActingBasis, reaches, requireBasis, requireMunicipality, requireMunicipalityIn, requireRegion, requireRole, withBasis, type Actor } from "../src";

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

  it("requireMunicipality lets the municipal roles act only at home", () => {
    expect(refusalOf(() => requireMunicipality(provider, municipalityId))).toBe("no error");
    expect(refusalOf(() => requireMunicipality(provider, { municipalityId, regionCode: "41" }))).toBe("no error");
    expect(refusalOf(() => requireMunicipality(provider, randomUUID()))).toBe("forbidden AUTH.OTHER_MUNICIPALITY");
    expect(refusalOf(() => requireMunicipality({ subject: "o", role: "operator" }, municipalityId))).toBe("forbidden AUTH.OTHER_MUNICIPALITY");
  });

  describe("region and ministry reach the municipalities of their region", () => {
    const region: Actor = { subject: "r", role: "region", regionCode: "41" };
    const ministry: Actor = { subject: "m", role: "ministry", regionCode: "41" };
    const federal: Actor = { subject: "f", role: "ministry", allRegions: true };
    const home = { municipalityId, regionCode: "41" };
    const elsewhere = { municipalityId: randomUUID(), regionCode: "11" };

    it("given a municipality of their region, when they act, then nothing refuses them", () => {
      for (const actor of [region, ministry, federal]) expect(refusalOf(() => requireMunicipality(actor, home))).toBe("no error");
    });

    it("given a municipality of another region, when they act, then AUTH.OTHER_REGION (a federal ministry excepted)", () => {
      expect(refusalOf(() => requireMunicipality(region, elsewhere))).toBe("forbidden AUTH.OTHER_REGION");
      expect(refusalOf(() => requireMunicipality(ministry, elsewhere))).toBe("forbidden AUTH.OTHER_REGION");
      expect(refusalOf(() => requireMunicipality(federal, elsewhere))).toBe("no error");
    });

    it("given a municipality whose region is not known, then a regional actor is refused (fail closed)", () => {
      for (const place of [municipalityId, { municipalityId }, { municipalityId, regionCode: null }]) {
        expect(refusalOf(() => requireMunicipality(region, place))).toBe("forbidden AUTH.OTHER_REGION");
      }
      expect(reaches(federal, municipalityId)).toBe(true);
    });

    it("given an actor that names no region (a hand-made one), then it reaches nothing", () => {
      expect(refusalOf(() => requireMunicipality({ subject: "r", role: "region" }, home))).toBe("forbidden AUTH.OTHER_REGION");
      expect(refusalOf(() => requireMunicipality({ subject: "r", role: "region", allRegions: true }, home))).toBe("forbidden AUTH.OTHER_REGION");
    });

    it("requireMunicipalityIn looks the region up only for a regional actor", async () => {
      const asked: string[] = [];
      const regionOf = (id: string) => {
        asked.push(id);
        return Promise.resolve(id === municipalityId ? "41" : "11");
      };
      await requireMunicipalityIn(provider, municipalityId, regionOf);
      expect(asked).toEqual([]);
      await requireMunicipalityIn(region, municipalityId, regionOf);
      await expect(requireMunicipalityIn(region, elsewhere.municipalityId, regionOf, { field: "municipalityId" })).rejects.toMatchObject({
        code: "AUTH.OTHER_REGION",
        details: { field: "municipalityId" },
      });
      expect(asked).toEqual([municipalityId, elsewhere.municipalityId]);
    });

    it("requireRegion: a region-level act by the region's own official or a federal ministry", () => {
      expect(refusalOf(() => requireRegion(region, "41"))).toBe("no error");
      expect(refusalOf(() => requireRegion(region, "11"))).toBe("forbidden AUTH.OTHER_REGION");
      expect(refusalOf(() => requireRegion(federal, "11"))).toBe("no error");
      expect(refusalOf(() => requireRegion(provider, "41"))).toBe("forbidden AUTH.OTHER_REGION");
    });
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
