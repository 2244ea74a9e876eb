import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  birthCertificateNumber,
  createMunicipality,
  issuedCertificate,
  office,
  passportNumber,
  registerChild,
  registerGuardian,
  registryHarness,
  type RegistryHarness,
} from "./fixtures/registry";

interface Found {
  id: string;
  lastName: string;
  certificate: { number: string } | null;
  guardians: { id: string; lastName: string }[];
}
interface Lookup {
  kind: string;
  actorRole: string;
  basisKind: string | null;
  criteria: Record<string, unknown>;
  childIds: string[];
}

describe("operators find families, and every look-up of personal data is written down", () => {
  let h: RegistryHarness;
  let town: string;
  let other: string;
  let ivan: { childId: string; guardianId: string; number: string };
  let passport: string;
  beforeAll(async () => {
    h = await registryHarness("reg-lookups");
    town = (await createMunicipality(h, { timeZone: "Asia/Kamchatka" })).id;
    other = (await createMunicipality(h, { timeZone: "Asia/Kamchatka" })).id;
    passport = passportNumber();
    const mother = await registerGuardian(h, town, { firstName: "Ольга", lastName: "Смирнова", document: { kind: "passport", number: passport } });
    const issued = await issuedCertificate(h, town, { firstName: "Иван", lastName: "Смирнов", birthDate: "2015-06-01", guardianIds: [mother] });
    ivan = { childId: issued.childId, guardianId: mother, number: issued.number };
    await registerChild(h, town, { firstName: "Пётр", lastName: "Иванов", birthDate: "2016-02-02" });
    // The same name in the neighbouring municipality: not this office's to see.
    await registerChild(h, other, { firstName: "Иван", lastName: "Смирнов", birthDate: "2015-06-01" });
  });
  afterAll(async () => {
    await h.close();
  });

  const search = async (query: string, headers?: Record<string, string>) =>
    h.app.inject({ method: "GET", url: `/children?${query}`, headers: headers ?? (await office(h, town)) });
  const found = async (query: string) => {
    const res = await search(query);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<Found[]>();
  };

  it("finds a child by the beginnings of names (the child's or a guardian's, ё as е), birth date, a guardian's document typed otherwise, or the certificate number, within the office's municipality", async () => {
    expect((await found(`name=${encodeURIComponent("смирн ив")}`)).map((c) => c.id)).toEqual([ivan.childId]);
    expect((await found(`name=${encodeURIComponent("ольга")}`)).map((c) => c.id)).toEqual([ivan.childId]);
    expect((await found(`name=${encodeURIComponent("Петр")}`)).map((c) => c.lastName)).toEqual(["Иванов"]);
    expect((await found("birthDate=2015-06-01")).map((c) => c.id)).toEqual([ivan.childId]);
    expect((await found(`document=${encodeURIComponent(passport.replaceAll(" ", ""))}`)).map((c) => c.id)).toEqual([ivan.childId]);
    const byCertificate = await found(`certificate=${encodeURIComponent(ivan.number.toLowerCase())}`);
    expect(byCertificate).toMatchObject([{ id: ivan.childId, certificate: { number: ivan.number }, guardians: [{ id: ivan.guardianId, lastName: "Смирнова" }] }]);
    // Every criterion must hold.
    expect(await found(`name=${encodeURIComponent("смирнов")}&birthDate=2015-06-02`)).toEqual([]);
    expect(await found(`document=${encodeURIComponent(birthCertificateNumber())}`)).toEqual([]);
  });

  it("asks an operator for the basis and a criterion, and refuses families and providers", async () => {
    const bare = await search("birthDate=2015-06-01", await h.as({ role: "operator", municipalityId: town }));
    expect(bare.json()).toMatchObject({ status: 422, code: "AUTH.BASIS_REQUIRED" });
    expect((await search("")).json()).toMatchObject({ status: 422, code: "REGISTRY.SEARCH_TOO_BROAD" });
    const family = await h.as({ role: "guardian", municipalityId: town, guardianId: ivan.guardianId });
    expect((await search("birthDate=2015-06-01", family)).statusCode).toBe(403);
  });

  it("writes down each search and each read of a record by the office, with whom it showed and the basis; the family sees an operator's search in its trail", async () => {
    const before = await lookups();
    await found(`name=${encodeURIComponent("смирнов иван")}`);
    const read = await h.app.inject({ method: "GET", url: `/children/${ivan.childId}`, headers: await h.as({ role: "operator", municipalityId: town }) });
    expect(read.statusCode).toBe(200);
    const documentSearch = await found(`document=${encodeURIComponent(passport)}`);
    expect(documentSearch).toHaveLength(1);
    const after = await lookups();
    expect(after.length - before.length).toBe(3);
    const [byDocument, byRead, byName] = after;
    expect(byName).toMatchObject({ kind: "search", actorRole: "operator", basisKind: "in_person_visit", criteria: { name: "смирнов иван" }, childIds: [ivan.childId] });
    expect(byRead).toMatchObject({ kind: "child", childIds: [ivan.childId], basisKind: null });
    // The document number itself is not kept in the trail: only its hashes.
    expect(JSON.stringify(byDocument)).not.toContain(passport.replaceAll(" ", ""));
    expect(JSON.stringify(byDocument)).not.toContain(passport);
    // Filtered by child, and only for the municipality's own staff.
    const ofChild = await h.app.inject({ method: "GET", url: `/person-lookups?childId=${ivan.childId}`, headers: await h.as({ role: "municipality", municipalityId: town }) });
    expect(ofChild.json<Lookup[]>().every((l) => l.childIds.includes(ivan.childId))).toBe(true);
    expect((await h.app.inject({ method: "GET", url: "/person-lookups", headers: await h.as({ role: "operator", municipalityId: town }) })).statusCode).toBe(403);
    const trail = await h.app.inject({ method: "GET", url: `/children/${ivan.childId}/audit`, headers: await h.as({ role: "guardian", municipalityId: town, guardianId: ivan.guardianId }) });
    expect(trail.json<{ action: string }[]>().filter((e) => e.action === "child.looked-up").length).toBeGreaterThanOrEqual(2);
  });

  async function lookups(): Promise<Lookup[]> {
    const res = await h.app.inject({ method: "GET", url: "/person-lookups?limit=500", headers: await h.as({ role: "municipality", municipalityId: town }) });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<Lookup[]>();
  }
});
