import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  birthCertificateNumber,
  categoryProof,
  childBody,
  createMunicipality,
  iinNumber,
  office,
  outboxEvents,
  passportNumber,
  registerChild,
  registerGuardian,
  registryHarness,
  snapshot,
  snilsNumber,
  type RegistryHarness,
} from "./fixtures/registry";

interface Problem {
  status: number;
  code: string;
  invalidParams?: { name: string; reason: string }[];
}

describe("guardians and children", () => {
  let h: RegistryHarness;
  let town: string;
  let other: string;
  beforeAll(async () => {
    h = await registryHarness("reg-people");
    town = (await createMunicipality(h, { timeZone: "Asia/Kamchatka" })).id;
    other = (await createMunicipality(h, { timeZone: "Europe/Moscow" })).id;
  });
  afterAll(async () => {
    await h.close();
  });

  describe("guardians", () => {
    it("lets a guardian register themselves once, under the id of their sign-in", async () => {
      const guardianId = crypto.randomUUID();
      const headers = await h.as({ role: "guardian", municipalityId: town, guardianId });
      const payload = { firstName: "Ольга", lastName: "Смирнова", phone: "+79001234567", document: { kind: "passport", number: "45 10 654321" }, municipalityId: town };
      const first = await h.app.inject({ method: "POST", url: "/guardians", headers, payload });
      expect(first.statusCode).toBe(201);
      expect(first.json()).toMatchObject({ id: guardianId, municipalityId: town, patronymic: null, document: { kind: "passport" } });

      const read = await h.app.inject({ method: "GET", url: `/guardians/${guardianId}`, headers });
      expect(read.json()).toMatchObject({ id: guardianId, lastName: "Смирнова" });
    });

    it("refuses a second registration of the same document typed differently", async () => {
      const number = passportNumber();
      await registerGuardian(h, town, { document: { kind: "passport", number } });
      const before = await snapshot(h.pool);
      const again = await h.app.inject({
        method: "POST",
        url: "/guardians",
        headers: await office(h, town),
        payload: { firstName: "Мария", lastName: "Иванова", document: { kind: "passport", number: number.replaceAll(" ", "") }, municipalityId: town },
      });
      expect(again.statusCode).toBe(409);
      expect(again.json()).toMatchObject({ code: "REGISTRY.GUARDIAN_ALREADY_REGISTERED" });
      expect(await snapshot(h.pool)).toEqual(before);
    });

    it("refuses a guardian's SNILS or IIN with a wrong check digit, naming the field", async () => {
      const headers = await office(h, town);
      const good = snilsNumber();
      const bad = `${good.slice(0, -1)}${(Number(good.slice(-1)) + 1) % 10}`;
      const snils = await h.app.inject({ method: "POST", url: "/guardians", headers, payload: { firstName: "А", lastName: "Б", document: { kind: "snils", number: bad }, municipalityId: town } });
      expect(snils.statusCode).toBe(422);
      expect(snils.json()).toMatchObject({ code: "REGISTRY.DOCUMENT_INVALID", invalidParams: [{ name: "body.document.number" }] });
      const iin = await h.app.inject({ method: "POST", url: "/guardians", headers, payload: { firstName: "А", lastName: "Б", document: { kind: "iin", number: "160314600217" }, municipalityId: town } });
      expect(iin.statusCode).toBe(422);
    });

    it("keeps an office and a guardian to their own municipality and record", async () => {
      const before = await snapshot(h.pool);
      const elsewhere = await h.app.inject({
        method: "POST",
        url: "/guardians",
        headers: await office(h, other),
        payload: { firstName: "А", lastName: "Б", document: { kind: "passport", number: passportNumber() }, municipalityId: town },
      });
      expect(elsewhere.statusCode).toBe(403);
      expect(elsewhere.json()).toMatchObject({ code: "AUTH.OTHER_MUNICIPALITY" });
      expect(await snapshot(h.pool)).toEqual(before);

      const guardianId = await registerGuardian(h, town);
      const stranger = await h.as({ role: "guardian", municipalityId: town, guardianId: crypto.randomUUID() });
      expect((await h.app.inject({ method: "GET", url: `/guardians/${guardianId}`, headers: stranger })).json()).toMatchObject({ code: "REGISTRY.NOT_YOUR_RECORD", status: 403 });
      expect((await h.app.inject({ method: "GET", url: `/guardians/${guardianId}`, headers: await office(h, other) })).statusCode).toBe(403);
      expect((await h.app.inject({ method: "GET", url: `/guardians/${guardianId}`, headers: await office(h, town) })).statusCode).toBe(200);
    });
  });

  describe("children", () => {
    it("registers a child with guardians and categories, valid SNILS and IIN included", async () => {
      const guardianId = await registerGuardian(h, town);
      const headers = await office(h, town);
      for (const document of [
        { kind: "snils", number: snilsNumber() },
        { kind: "iin", number: iinNumber("2016-03-14") },
        { kind: "birth_certificate", number: birthCertificateNumber() },
      ]) {
        const res = await h.app.inject({
          method: "POST",
          url: "/children",
          headers,
          payload: childBody([guardianId], { document, categories: [{ code: "low_income", proof: categoryProof("2026-08-01") }] }),
        });
        expect(res.statusCode).toBe(201);
        expect(res.json()).toMatchObject({
          municipalityId: town,
          birthDate: "2016-03-14",
          guardianIds: [guardianId],
          // A low-income proof holds one year from its issue; the office verified it as it registered the child.
          categories: [{ code: "low_income", validFrom: "2026-08-01", validUntil: "2027-07-31" }],
          categoryClaims: [{ code: "low_income", status: "verified" }],
        });
      }
      const listed = await h.app.inject({ method: "GET", url: `/guardians/${guardianId}/children`, headers: await h.as({ role: "guardian", municipalityId: town, guardianId }) });
      expect(listed.json<unknown[]>()).toHaveLength(3);
    });

    it("lets a guardian register their own child, and only one that lists them", async () => {
      const guardianId = await registerGuardian(h, town);
      const self = await h.as({ role: "guardian", municipalityId: town, guardianId });
      const own = await h.app.inject({ method: "POST", url: "/children", headers: self, payload: childBody([guardianId]) });
      expect(own.statusCode).toBe(201);

      const someoneElse = await registerGuardian(h, town);
      const before = await snapshot(h.pool);
      const notListed = await h.app.inject({ method: "POST", url: "/children", headers: self, payload: childBody([someoneElse]) });
      expect(notListed.statusCode).toBe(403);
      expect(notListed.json()).toMatchObject({ code: "REGISTRY.NOT_YOUR_CHILD", invalidParams: [{ name: "body.guardianIds" }] });
      expect(await snapshot(h.pool)).toEqual(before);
    });

    it("makes a co-guardian named by a guardian a guardian only once they (or the office) confirm, and announces it once the child is certified", async () => {
      const motherId = await registerGuardian(h, town);
      const stranger = await registerGuardian(h, town);
      const mother = await h.as({ role: "guardian", municipalityId: town, guardianId: motherId });
      const registered = await h.app.inject({ method: "POST", url: "/children", headers: mother, payload: childBody([motherId, stranger]) });
      expect(registered.statusCode).toBe(201);
      const child = registered.json<{ id: string; guardianIds: string[]; invitedGuardianIds: string[] }>();
      expect(child).toMatchObject({ guardianIds: [motherId], invitedGuardianIds: [stranger] });
      // Named is not a guardian: the invited person cannot read the child until they confirm.
      const invited = await h.as({ role: "guardian", municipalityId: town, guardianId: stranger });
      expect((await h.app.inject({ method: "GET", url: `/children/${child.id}`, headers: invited })).json()).toMatchObject({ code: "REGISTRY.NOT_YOUR_CHILD" });
      // Nobody else confirms for them; the mother cannot either.
      const confirmUrl = `/children/${child.id}/guardians/${stranger}/confirmation`;
      expect((await h.app.inject({ method: "POST", url: confirmUrl, headers: mother })).json()).toMatchObject({ status: 403, code: "REGISTRY.NOT_YOUR_INVITATION" });
      const certificate = await h.app.inject({ method: "POST", url: "/certificates", headers: mother, payload: { childId: child.id } });
      expect(certificate.statusCode).toBe(201);

      const confirmed = await h.app.inject({ method: "POST", url: confirmUrl, headers: invited });
      expect(confirmed.statusCode).toBe(200);
      expect(confirmed.json<{ guardianIds: string[] }>().guardianIds.sort()).toEqual([motherId, stranger].sort());
      expect(confirmed.json()).toMatchObject({ invitedGuardianIds: [] });
      expect((await h.app.inject({ method: "GET", url: `/children/${child.id}`, headers: invited })).statusCode).toBe(200);
      const announced = (await outboxEvents<{ guardianIds: string[] }>(h.pool, "registry.child.guardians-changed")).filter((e) => e.aggregateId === child.id);
      expect(announced.map((e) => [...e.data.guardianIds].sort())).toEqual([[motherId, stranger].sort()]);
      // Confirmed once: a second confirmation finds no invitation and writes nothing.
      const before = await snapshot(h.pool);
      expect((await h.app.inject({ method: "POST", url: confirmUrl, headers: invited })).json()).toMatchObject({ status: 404, code: "REGISTRY.INVITATION_NOT_FOUND" });
      expect(await snapshot(h.pool)).toEqual(before);
    });

    it("lets the office confirm a co-guardian, and links everyone the office names at once", async () => {
      const motherId = await registerGuardian(h, town);
      const fatherId = await registerGuardian(h, town);
      const mother = await h.as({ role: "guardian", municipalityId: town, guardianId: motherId });
      const child = (await h.app.inject({ method: "POST", url: "/children", headers: mother, payload: childBody([motherId, fatherId]) })).json<{ id: string }>();
      const elsewhere = await h.app.inject({ method: "POST", url: `/children/${child.id}/guardians/${fatherId}/confirmation`, headers: await office(h, other) });
      expect(elsewhere.statusCode).toBe(403);
      const confirmed = await h.app.inject({ method: "POST", url: `/children/${child.id}/guardians/${fatherId}/confirmation`, headers: await office(h, town) });
      expect(confirmed.json<{ guardianIds: string[] }>().guardianIds.sort()).toEqual([motherId, fatherId].sort());

      const atOffice = await h.app.inject({ method: "POST", url: "/children", headers: await office(h, town), payload: childBody([motherId, fatherId]) });
      expect(atOffice.json<{ guardianIds: string[] }>().guardianIds.sort()).toEqual([motherId, fatherId].sort());
    });

    it("refuses impossible dates with 400 naming body.birthDate, and a birth date after today with 422", async () => {
      const guardianId = await registerGuardian(h, town);
      const headers = await office(h, town);
      const before = await snapshot(h.pool);
      const impossible = await h.app.inject({ method: "POST", url: "/children", headers, payload: childBody([guardianId], { birthDate: "2026-02-30" }) });
      expect(impossible.statusCode).toBe(400);
      expect(impossible.json<Problem>().invalidParams?.map((p) => p.name)).toEqual(["body.birthDate"]);
      const future = await h.app.inject({ method: "POST", url: "/children", headers, payload: childBody([guardianId], { birthDate: "2026-09-02" }) });
      expect(future.statusCode).toBe(422);
      expect(future.json()).toMatchObject({ code: "REGISTRY.BIRTH_DATE_IN_FUTURE", invalidParams: [{ name: "body.birthDate" }] });
      expect(await snapshot(h.pool)).toEqual(before);
    });

    it("refuses invalid SNILS and IIN check digits, and an IIN of another birth date, naming body.document.number", async () => {
      const guardianId = await registerGuardian(h, town);
      const headers = await office(h, town);
      const before = await snapshot(h.pool);
      const good = snilsNumber();
      const documents = [
        { kind: "snils", number: `${good.slice(0, -2)}${String((Number(good.slice(-2)) + 1) % 100).padStart(2, "0")}` },
        { kind: "iin", number: "160314600217" },
        { kind: "iin", number: iinNumber("2016-03-15") },
        { kind: "birth_certificate", number: "АБ 123456" },
      ];
      for (const document of documents) {
        const res = await h.app.inject({ method: "POST", url: "/children", headers, payload: childBody([guardianId], { document }) });
        expect(res.statusCode, document.number).toBe(422);
        expect(res.json()).toMatchObject({ code: "REGISTRY.DOCUMENT_INVALID", invalidParams: [{ name: "body.document.number" }] });
      }
      expect(await snapshot(h.pool)).toEqual(before);
    });

    it("refuses a category the municipality does not have, naming body.categories.N.code", async () => {
      const guardianId = await registerGuardian(h, town);
      const before = await snapshot(h.pool);
      const categories = [
        { code: "orphan", proof: categoryProof("2026-01-01", "решение суда") },
        { code: "astronaut_family", proof: categoryProof("2026-01-01") },
      ];
      const res = await h.app.inject({ method: "POST", url: "/children", headers: await office(h, town), payload: childBody([guardianId], { categories }) });
      expect(res.statusCode).toBe(422);
      expect(res.json()).toMatchObject({ code: "REGISTRY.CATEGORY_UNKNOWN", invalidParams: [{ name: "body.categories.1.code" }] });
      expect(await snapshot(h.pool)).toEqual(before);
    });

    it("refuses the same child twice anywhere in the region without revealing the other record", async () => {
      const number = birthCertificateNumber();
      await registerChild(h, town, { document: { kind: "birth_certificate", number } });
      const guardianId = await registerGuardian(h, other);
      const before = await snapshot(h.pool);
      const again = await h.app.inject({
        method: "POST",
        url: "/children",
        headers: await office(h, other),
        payload: childBody([guardianId], { firstName: "Другое", document: { kind: "birth_certificate", number: number.toLowerCase().replace(" ", "") } }),
      });
      expect(again.statusCode).toBe(409);
      expect(again.json()).toMatchObject({ code: "REGISTRY.CHILD_ALREADY_REGISTERED" });
      expect(again.body).not.toContain(town);
      expect(await snapshot(h.pool)).toEqual(before);
      // The refusal is logged by field name only: no document number, no name.
      const logs = h.logs.join("\n");
      expect(logs).toContain("REGISTRY.CHILD_ALREADY_REGISTERED");
      expect(logs).not.toContain(number);
      expect(logs.toLowerCase()).not.toContain("iv-аб");
      expect(logs).not.toContain("Другое");
    });

    it("keeps children of another municipality out of reach: its guardians, its children", async () => {
      const foreignGuardian = await registerGuardian(h, other);
      const before = await snapshot(h.pool);
      const res = await h.app.inject({ method: "POST", url: "/children", headers: await office(h, town), payload: childBody([foreignGuardian]) });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ code: "AUTH.OTHER_MUNICIPALITY", invalidParams: [{ name: "body.guardianIds.0" }] });
      const unknown = await h.app.inject({ method: "POST", url: "/children", headers: await office(h, town), payload: childBody([crypto.randomUUID()]) });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json()).toMatchObject({ code: "REGISTRY.GUARDIAN_NOT_FOUND", invalidParams: [{ name: "body.guardianIds.0" }] });
      expect(await snapshot(h.pool)).toEqual(before);

      const { childId, guardianId } = await registerChild(h, other);
      expect((await h.app.inject({ method: "GET", url: `/children/${childId}`, headers: await office(h, town) })).statusCode).toBe(403);
      const stranger = await h.as({ role: "guardian", municipalityId: other, guardianId: await registerGuardian(h, other) });
      expect((await h.app.inject({ method: "GET", url: `/children/${childId}`, headers: stranger })).json()).toMatchObject({ code: "REGISTRY.NOT_YOUR_CHILD" });
      const parent = await h.as({ role: "guardian", municipalityId: other, guardianId });
      expect((await h.app.inject({ method: "GET", url: `/children/${childId}`, headers: parent })).statusCode).toBe(200);
      expect((await h.app.inject({ method: "GET", url: `/children/${crypto.randomUUID()}`, headers: parent })).statusCode).toBe(404);
    });

    it("replaces categories (verified by the office as it records them) and announces ids, codes and validity only", async () => {
      const { childId } = await registerChild(h, town, {
        firstName: "Секретное",
        categories: [{ code: "large_family", proof: categoryProof("2026-01-10", "удостоверение многодетной семьи") }],
      });
      const res = await h.app.inject({
        method: "PUT",
        url: `/children/${childId}/categories`,
        headers: await office(h, town),
        payload: { categories: [{ code: "disability", proof: { ...categoryProof("2026-05-01", "справка МСЭ"), number: "МСЭ-2026 № 0042" }, validUntil: "2027-05-01" }] },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ categories: [{ code: "disability", validUntil: "2027-05-01" }] });
      const parent = await h.as({ role: "guardian", municipalityId: town, guardianId: res.json<{ guardianIds: string[] }>().guardianIds[0]! });
      const events = (await outboxEvents(h.pool, "registry.child.categories-changed")).filter((e) => e.aggregateId === childId);
      expect(events).toHaveLength(1);
      expect(events[0]?.data).toEqual({ childId, certificateId: null, categories: [{ code: "disability", validFrom: "2026-05-01", validUntil: "2027-05-01" }] });
      expect(JSON.stringify(events[0])).not.toMatch(/МСЭ|Секретное|2016-03-14/);

      const before = await snapshot(h.pool);
      const unknown = await h.app.inject({
        method: "PUT",
        url: `/children/${childId}/categories`,
        headers: parent,
        payload: { categories: [{ code: "veteran", proof: categoryProof("2026-05-01") }] },
      });
      expect(unknown.json()).toMatchObject({ status: 422, invalidParams: [{ name: "body.categories.0.code" }] });
      const tooLong = await h.app.inject({
        method: "PUT",
        url: `/children/${childId}/categories`,
        headers: parent,
        payload: { categories: [{ code: "low_income", proof: categoryProof("2026-05-01"), validUntil: "2027-05-01" }] },
      });
      expect(tooLong.json()).toMatchObject({ code: "REGISTRY.CATEGORY_PROOF_TOO_LONG", invalidParams: [{ name: "body.categories.0.validUntil" }] });
      const foreign = await h.app.inject({ method: "PUT", url: `/children/${childId}/categories`, headers: await office(h, other), payload: { categories: [] } });
      expect(foreign.statusCode).toBe(403);
      expect(await snapshot(h.pool)).toEqual(before);
    });

    it("documents the routes in OpenAPI", async () => {
      const spec = (await h.app.inject({ method: "GET", url: "/docs/json" })).json<{ paths: Record<string, Record<string, { tags?: string[]; summary?: string }>> }>();
      expect(spec.paths["/children"]?.post?.summary).toMatch(/Register a child/);
      expect(spec.paths["/certificates/{id}/financing"]?.post?.tags).toEqual(["certificates"]);
      expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(["/guardians", "/guardians/{id}/children", "/certificate-applications/{id}/decision", "/certificates/{id}/move"]));
    });
  });
});
