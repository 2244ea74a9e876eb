import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  childBody,
  createMunicipality,
  municipalityCode,
  office,
  passportNumber,
  registerChild,
  registerGuardian,
  registryHarness,
  snapshot,
  type RegistryHarness,
} from "./fixtures/registry";

// What a person types or pastes into a form: names cleaned to what they show, names of nothing
// refused, look-alike letters of another alphabet refused, dates no record can have refused.

const ZERO_WIDTH = "\u200B\u200C\u200D\u2060\uFEFF";

describe("names and dates are plausible", () => {
  let h: RegistryHarness;
  let town: string;
  beforeAll(async () => {
    h = await registryHarness("reg-plausibility");
    town = (await createMunicipality(h, { timeZone: "Asia/Kamchatka" })).id;
  });
  afterAll(async () => {
    await h.close();
  });

  const refusedField = (res: { statusCode: number; json: <T>() => T }, field: string) => {
    expect(res.statusCode).toBe(400);
    expect(res.json<{ invalidParams: { name: string }[] }>().invalidParams.map((p) => p.name)).toContain(field);
  };

  it("refuses a municipality, guardian, child or provider named only with invisible characters, writing nothing", async () => {
    const guardianId = await registerGuardian(h, town);
    const before = await snapshot(h.pool);
    const region = await h.as({ role: "region", regionCode: "41" });
    const municipality = await h.app.inject({
      method: "POST",
      url: "/municipalities",
      headers: region,
      payload: { code: municipalityCode(), name: ZERO_WIDTH.repeat(3), regionCode: "41", timeZone: "Asia/Kamchatka", currency: "RUB" },
    });
    refusedField(municipality, "body.name");
    const guardian = await h.app.inject({
      method: "POST",
      url: "/guardians",
      headers: await office(h, town),
      payload: { firstName: ZERO_WIDTH, lastName: "Иванова", document: { kind: "passport", number: passportNumber() }, municipalityId: town },
    });
    refusedField(guardian, "body.firstName");
    const child = await h.app.inject({ method: "POST", url: "/children", headers: await office(h, town), payload: childBody([guardianId], { lastName: `\u0000${ZERO_WIDTH}\u00AD` }) });
    refusedField(child, "body.lastName");
    const digits = await h.app.inject({ method: "POST", url: "/children", headers: await office(h, town), payload: childBody([guardianId], { firstName: "12345" }) });
    refusedField(digits, "body.firstName");
    const provider = await h.app.inject({
      method: "POST",
      url: "/providers",
      headers: await h.as({ role: "provider", municipalityId: town, providerId: crypto.randomUUID() }),
      payload: { municipalityId: town, kind: "private", name: `${ZERO_WIDTH} `, taxId: "4101123456", licence: { number: "Л035-1", issuedOn: "2024-02-01" } },
    });
    refusedField(provider, "body.name");
    expect(await snapshot(h.pool)).toEqual(before);
  });

  it("stores a name as it shows: composed letters (NFC), one space between words", async () => {
    const guardianId = await registerGuardian(h, town);
    // «Йосиф» typed as И + combining breve, «Ёлкина» as Е + combining diaeresis, spaces doubled and around.
    const res = await h.app.inject({
      method: "POST",
      url: "/children",
      headers: await office(h, town),
      payload: childBody([guardianId], { firstName: "И\u0306осиф", lastName: "  Петрова-Е\u0308лкина\u00A0 Водкина ", patronymic: "Ильинична" }),
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ firstName: "Йосиф", lastName: "Петрова-Ёлкина Водкина", patronymic: "Ильинична" });
    expect(res.json<{ firstName: string }>().firstName).toHaveLength(5);
  });

  it("refuses a name mixing Latin and Cyrillic look-alike letters in one word, so a look-alike spelling cannot get a second certificate", async () => {
    const { guardianId } = await registerChild(h, town, { firstName: "Анна", lastName: "Соколова", birthDate: "2015-04-04" });
    const before = await snapshot(h.pool);
    // «Аnnа Сокоlova»: the Latin n and l inside Cyrillic words.
    const lookAlike = await h.app.inject({
      method: "POST",
      url: "/children",
      headers: await office(h, town),
      payload: childBody([guardianId], { firstName: "Аnnа", lastName: "Соколова", birthDate: "2015-04-04" }),
    });
    refusedField(lookAlike, "body.firstName");
    expect(lookAlike.json<{ invalidParams: { reason: string }[] }>().invalidParams[0]?.reason).toMatch(/mixes alphabets/);
    const latinO = await h.app.inject({
      method: "POST",
      url: "/children",
      headers: await office(h, town),
      payload: childBody([guardianId], { firstName: "Анна", lastName: "Сoкoлoва", birthDate: "2015-04-04" }),
    });
    refusedField(latinO, "body.lastName");
    expect(await snapshot(h.pool)).toEqual(before);
    // A name wholly in Latin letters, or two words in two alphabets, is a name.
    const latin = await h.app.inject({ method: "POST", url: "/children", headers: await office(h, town), payload: childBody([guardianId], { firstName: "Anna Мария" }) });
    expect(latin.statusCode, latin.body).toBe(201);
  });

  it("refuses a child born 18 or more years ago (1900-01-01, a parent's birth date in the child's field), naming the field", async () => {
    const guardianId = await registerGuardian(h, town);
    const before = await snapshot(h.pool);
    for (const birthDate of ["1900-01-01", "1985-06-01"]) {
      const res = await h.app.inject({ method: "POST", url: "/children", headers: await office(h, town), payload: childBody([guardianId], { birthDate }) });
      expect(res.statusCode, birthDate).toBe(422);
      expect(res.json()).toMatchObject({ code: "REGISTRY.BIRTH_DATE_IMPLAUSIBLE", invalidParams: [{ name: "body.birthDate" }] });
    }
    // 18 tomorrow in Kamchatka (the harness clock is 2026-09-01 21:00 there): still a child today.
    const seventeen = await h.app.inject({ method: "POST", url: "/children", headers: await office(h, town), payload: childBody([guardianId], { birthDate: "2008-09-02" }) });
    expect(seventeen.statusCode, seventeen.body).toBe(201);
    const eighteen = await h.app.inject({ method: "POST", url: "/children", headers: await office(h, town), payload: childBody([guardianId], { birthDate: "2008-09-01" }) });
    expect(eighteen.json()).toMatchObject({ code: "REGISTRY.BIRTH_DATE_IMPLAUSIBLE" });
    expect((await snapshot(h.pool)).children).toBe(before.children! + 1);
  });

  it("refuses a provider's licence dated in the distant past", async () => {
    const before = await snapshot(h.pool);
    const res = await h.app.inject({
      method: "POST",
      url: "/providers",
      headers: await h.as({ role: "provider", municipalityId: town, providerId: crypto.randomUUID() }),
      payload: { municipalityId: town, kind: "private", name: "АНО «Давно»", taxId: "4101654321", licence: { number: "Л035-2", issuedOn: "1900-02-01" } },
    });
    refusedField(res, "body.licence.issuedOn");
    expect(await snapshot(h.pool)).toEqual(before);
  });
});
