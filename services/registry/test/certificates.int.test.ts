import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isValidCertificateNumber } from "../src/domain/certificate-number";
import {
  birthCertificateNumber,
  childBody,
  createMunicipality,
  issuedCertificate,
  office,
  municipalityCode,
  outboxEvents,
  passportNumber,
  registerChild,
  registerGuardian,
  registryHarness,
  snapshot,
  snilsNumber,
  type RegistryHarness,
} from "./fixtures/registry";

const NOW = "2026-09-01T09:00:00Z";

/** Another series than the fixtures' counter uses, so hand-picked numbers never collide with it. */
const twinDocument = (digits: number | string) => ({ kind: "birth_certificate", number: `X-ЖЗ ${String(digits).padStart(6, "0")}` });

describe("certificates", () => {
  let h: RegistryHarness;
  let kamchatka: { id: string; code: string };
  let komi: { id: string; code: string };
  beforeAll(async () => {
    h = await registryHarness("reg-certificates");
    kamchatka = await createMunicipality(h, { timeZone: "Asia/Kamchatka" });
    komi = await createMunicipality(h, { timeZone: "Europe/Moscow" });
  });
  afterAll(async () => {
    await h.close();
  });

  const apply = async (municipalityId: string, childId: string, headers?: Record<string, string>) =>
    h.app.inject({ method: "POST", url: "/certificates", headers: headers ?? (await office(h, municipalityId)), payload: { childId } });

  describe("issue", () => {
    it("issues a numbered certificate on accounting status and announces it without personal data", async () => {
      const document = birthCertificateNumber();
      const { childId, guardianId } = await registerChild(h, kamchatka.id, {
        firstName: "Ульяна",
        lastName: "Корниенко",
        birthDate: "2016-03-14",
        document: { kind: "birth_certificate", number: document },
        categories: [{ code: "large_family", proof: { kind: "удостоверение многодетной семьи", number: "41-77", issuer: "Министерство социального благополучия Камчатского края", issuedOn: "2026-01-01" } }],
      });
      const parent = await h.as({ role: "guardian", municipalityId: kamchatka.id, guardianId });
      const res = await apply(kamchatka.id, childId, parent);
      expect(res.statusCode).toBe(201);
      const certificate = res.json<{ id: string; number: string }>();
      expect(certificate).toMatchObject({ childId, municipalityId: kamchatka.id, status: "active", funding: "accounting", financedYear: null, issuedAt: "2026-09-01T09:00:00.000Z" });
      expect(certificate.number.startsWith(`${kamchatka.code}-`)).toBe(true);
      expect(isValidCertificateNumber(certificate.number)).toBe(true);

      const [event] = (await outboxEvents(h.pool, "registry.certificate.issued")).filter((e) => e.aggregateId === certificate.id);
      expect(event?.data).toEqual({
        certificateId: certificate.id,
        number: certificate.number,
        childId,
        birthYear: 2016,
        // The birth date travels here only: enrollment checks programs' age limits on it.
        birthDate: "2016-03-14",
        ageBand: "7-10",
        categories: ["large_family"],
        funding: "accounting",
        guardianIds: [guardianId],
      });
      const payload = JSON.stringify(event);
      for (const personal of ["Ульяна", "Корниенко", document, document.replace(/\D/g, "")]) expect(payload).not.toContain(personal);

      for (const headers of [parent, await office(h, kamchatka.id), await h.as({ role: "region", regionCode: "41" })]) {
        expect((await h.app.inject({ method: "GET", url: `/certificates/${certificate.id}`, headers })).json()).toMatchObject({ id: certificate.id });
      }
      expect((await h.app.inject({ method: "GET", url: `/children/${childId}/certificate`, headers: parent })).json()).toMatchObject({ id: certificate.id });
      expect((await h.app.inject({ method: "GET", url: `/certificates/${certificate.id}`, headers: await office(h, komi.id) })).statusCode).toBe(403);
    });

    it("issues one certificate per child: a second application is refused, an Idempotency-Key retry replays", async () => {
      const { childId } = await registerChild(h, komi.id);
      const headers = { ...(await office(h, komi.id)), "idempotency-key": `issue-${childId}` };
      const first = await apply(komi.id, childId, headers);
      const retry = await apply(komi.id, childId, headers);
      expect(first.statusCode).toBe(201);
      expect(retry.statusCode).toBe(201);
      expect(retry.headers["idempotent-replayed"]).toBe("true");
      expect(retry.json()).toEqual(first.json());

      const before = await snapshot(h.pool);
      const again = await apply(komi.id, childId);
      expect(again.statusCode).toBe(409);
      expect(again.json()).toMatchObject({ code: "REGISTRY.CERTIFICATE_EXISTS" });
      expect(await snapshot(h.pool)).toEqual(before);
    });

    it("issues to a child who turns 5 at local midnight in Kamchatka while UTC is still on the day before, not a minute earlier", async () => {
      const { childId } = await registerChild(h, kamchatka.id, { birthDate: "2021-03-15" });
      try {
        h.clock.set("2026-03-14T11:59:00Z");
        const before = await snapshot(h.pool);
        const early = await apply(kamchatka.id, childId);
        expect(early.statusCode).toBe(422);
        expect(early.json()).toMatchObject({ code: "REGISTRY.AGE_OUT_OF_RANGE", invalidParams: [{ name: "child.birthDate" }] });
        expect(early.json<{ detail: string }>().detail).toMatch(/this child is 4 today in Asia\/Kamchatka/);
        expect(await snapshot(h.pool)).toEqual(before);

        h.clock.set("2026-03-14T12:00:00Z");
        const onTime = await apply(kamchatka.id, childId);
        expect(onTime.statusCode).toBe(201);
        const [event] = (await outboxEvents<{ ageBand: string }>(h.pool, "registry.certificate.issued")).filter((e) => e.aggregateId === onTime.json<{ id: string }>().id);
        expect(event?.data.ageBand).toBe("5-6");
      } finally {
        h.clock.set(NOW);
      }
    });

    it("refuses an 18-year-old (registered at 17) and a 4-year-old, writing nothing", async () => {
      h.clock.set("2026-08-01T09:00:00Z");
      const adult = await registerChild(h, komi.id, { birthDate: "2008-09-01" });
      h.clock.set(NOW);
      const toddler = await registerChild(h, komi.id, { birthDate: "2022-01-01" });
      const before = await snapshot(h.pool);
      for (const { childId } of [adult, toddler]) {
        const res = await apply(komi.id, childId);
        expect(res.statusCode).toBe(422);
        expect(res.json()).toMatchObject({ code: "REGISTRY.AGE_OUT_OF_RANGE" });
      }
      expect(await snapshot(h.pool)).toEqual(before);
    });

    it("refuses a child of another municipality, or of another family, writing nothing", async () => {
      const { childId } = await registerChild(h, komi.id);
      const stranger = await h.as({ role: "guardian", municipalityId: komi.id, guardianId: await registerGuardian(h, komi.id) });
      const before = await snapshot(h.pool);
      const foreign = await apply(kamchatka.id, childId);
      expect(foreign.statusCode).toBe(403);
      expect(foreign.json()).toMatchObject({ code: "AUTH.OTHER_MUNICIPALITY" });
      expect((await apply(komi.id, childId, stranger)).json()).toMatchObject({ status: 403, code: "REGISTRY.NOT_YOUR_CHILD" });
      expect((await apply(komi.id, crypto.randomUUID())).json()).toMatchObject({ status: 404, invalidParams: [{ name: "body.childId" }] });
      expect(await snapshot(h.pool)).toEqual(before);
    });
  });

  describe("near-duplicates", () => {
    it("holds a namesake whose document is one character apart, until an operator approves", async () => {
      // Even, so that serial + 1 changes only the last digit (…09 → …10 would be two characters apart).
      const serial = 2 * (250_000 + Math.floor(Math.random() * 150_000));
      const twin = { firstName: "Иван", lastName: `Двойников${serial}`, birthDate: "2015-05-05" };
      await issuedCertificate(h, kamchatka.id, { ...twin, document: twinDocument(serial) });
      const { childId } = await registerChild(h, kamchatka.id, { ...twin, document: twinDocument(serial + 1) });

      const issuedBefore = (await outboxEvents(h.pool, "registry.certificate.issued")).length;
      const held = await apply(kamchatka.id, childId);
      expect(held.statusCode).toBe(202);
      const { applicationId } = held.json<{ applicationId: string }>();
      expect(held.json()).toMatchObject({ status: "held", reason: expect.stringMatching(/operator/) as string });
      expect((await h.app.inject({ method: "GET", url: `/children/${childId}/certificate`, headers: await office(h, kamchatka.id) })).statusCode).toBe(404);
      // Asking again while it waits gives the same held application.
      expect((await apply(kamchatka.id, childId)).json()).toMatchObject({ applicationId });

      const list = await h.app.inject({ method: "GET", url: "/certificate-applications?status=held", headers: await office(h, kamchatka.id) });
      expect(list.json<{ id: string }[]>().map((a) => a.id)).toContain(applicationId);
      const elsewhere = await h.app.inject({ method: "GET", url: "/certificate-applications", headers: await office(h, komi.id) });
      expect(elsewhere.json<{ id: string }[]>().map((a) => a.id)).not.toContain(applicationId);
      const foreign = await h.app.inject({ method: "POST", url: `/certificate-applications/${applicationId}/decision`, headers: await office(h, komi.id), payload: { decision: "approve" } });
      expect(foreign.statusCode).toBe(403);
      expect((await outboxEvents(h.pool, "registry.certificate.issued")).length).toBe(issuedBefore);

      const approved = await h.app.inject({
        method: "POST",
        url: `/certificate-applications/${applicationId}/decision`,
        headers: await office(h, kamchatka.id),
        payload: { decision: "approve", comment: "разные дети: близнецы, сверено по свидетельствам" },
      });
      expect(approved.statusCode).toBe(200);
      const decided = approved.json<{ certificateId: string }>();
      expect(decided).toMatchObject({ id: applicationId, status: "approved", certificateId: expect.any(String) as string });
      const certificate = await h.app.inject({ method: "GET", url: `/children/${childId}/certificate`, headers: await office(h, kamchatka.id) });
      expect(certificate.json()).toMatchObject({ id: decided.certificateId, status: "active" });
      expect((await outboxEvents(h.pool, "registry.certificate.issued")).length).toBe(issuedBefore + 1);

      const twice = await h.app.inject({ method: "POST", url: `/certificate-applications/${applicationId}/decision`, headers: await office(h, kamchatka.id), payload: { decision: "reject", comment: "x" } });
      expect(twice.json()).toMatchObject({ status: 409, code: "REGISTRY.APPLICATION_DECIDED" });
    });

    it("closes a rejected application without a certificate, and a rejection needs a comment", async () => {
      const serial = 100_000 + Math.floor(Math.random() * 300_000);
      const twin = { firstName: "Пётр", lastName: `Похожий${serial}`, birthDate: "2014-02-02" };
      await issuedCertificate(h, komi.id, { ...twin, document: twinDocument(serial) });
      // The first digit substituted: still one character apart.
      const { childId } = await registerChild(h, komi.id, { ...twin, document: twinDocument(`9${String(serial).slice(1)}`) });
      const { applicationId } = (await apply(komi.id, childId)).json<{ applicationId: string }>();
      const url = `/certificate-applications/${applicationId}/decision`;
      const headers = await office(h, komi.id);
      const silent = await h.app.inject({ method: "POST", url, headers, payload: { decision: "reject" } });
      expect(silent.statusCode).toBe(400);
      expect(silent.json()).toMatchObject({ invalidParams: [{ name: "body.comment" }] });
      const rejected = await h.app.inject({ method: "POST", url, headers, payload: { decision: "reject", comment: "тот же ребёнок: номер свидетельства исправлен" } });
      expect(rejected.json()).toMatchObject({ status: "rejected", certificateId: null });
      expect((await h.app.inject({ method: "GET", url: "/certificate-applications?status=rejected", headers })).json<{ id: string }[]>().map((a) => a.id)).toContain(applicationId);
      expect((await h.app.inject({ method: "GET", url: `/children/${childId}/certificate`, headers })).statusCode).toBe(404);
    });

    it("holds the same child registered again with another kind of document, or its name in Latin letters, and an operator merges the records", async () => {
      const serial = 500_000 + Math.floor(Math.random() * 400_000);
      const first = await issuedCertificate(h, kamchatka.id, { firstName: "Пётр", lastName: `Дубликатов${serial}`, birthDate: "2015-06-06" });
      // The family registers the child again at another desk with SNILS: another guardian, another document kind.
      const again = await registerChild(h, kamchatka.id, { firstName: "Петр", lastName: `Дубликатов${serial}`, birthDate: "2015-06-06", document: { kind: "snils", number: snilsNumber() } });
      const before = (await outboxEvents(h.pool, "registry.certificate.issued")).length;
      const held = await apply(kamchatka.id, again.childId);
      expect(held.statusCode).toBe(202);
      const { applicationId } = held.json<{ applicationId: string }>();
      const headers = await office(h, kamchatka.id);
      const listed = (await h.app.inject({ method: "GET", url: "/certificate-applications?status=held", headers })).json<{ id: string; similarChildId: string }[]>();
      expect(listed.find((a) => a.id === applicationId)?.similarChildId).toBe(first.childId);

      const merged = await h.app.inject({ method: "POST", url: `/certificate-applications/${applicationId}/decision`, headers, payload: { decision: "merge", comment: "тот же ребёнок: СНИЛС и свидетельство сверены" } });
      expect(merged.statusCode).toBe(200);
      expect(merged.json()).toMatchObject({ status: "merged", certificateId: first.certificateId });
      expect((await outboxEvents(h.pool, "registry.certificate.issued")).length).toBe(before);
      // The second desk's guardian is now the certified child's guardian, announced to every service.
      const child = (await h.app.inject({ method: "GET", url: `/children/${first.childId}`, headers })).json<{ guardianIds: string[] }>();
      expect(child.guardianIds.sort()).toEqual([first.guardianId, again.guardianId].sort());
      const changed = (await outboxEvents<{ childId: string; certificateId: string; guardianIds: string[] }>(h.pool, "registry.child.guardians-changed")).filter((e) => e.aggregateId === first.childId);
      expect(changed.map((e) => ({ ...e.data, guardianIds: [...e.data.guardianIds].sort() }))).toEqual([
        { childId: first.childId, certificateId: first.certificateId, guardianIds: [first.guardianId, again.guardianId].sort() },
      ]);
      // The merged record gets no certificate of its own, and says where the child's record is.
      expect((await apply(kamchatka.id, again.childId)).json()).toMatchObject({ status: 409, code: "REGISTRY.CHILD_MERGED" });
    });

    it("holds a name transliterated, with е for ё, or one letter changed, but issues to a child born the same day with another name", async () => {
      const letters = "абвгдклмнпрст";
      const surname = `Гом${Array.from({ length: 6 }, () => letters.charAt(Math.floor(Math.random() * letters.length))).join("")}ова`;
      const latin = [...surname].map((c) => ({ Г: "G", о: "o", а: "a", б: "b", в: "v", г: "g", д: "d", к: "k", л: "l", м: "m", н: "n", п: "p", р: "r", с: "s", т: "t" })[c] ?? c).join("");
      const birthDate = "2014-04-04";
      await issuedCertificate(h, komi.id, { firstName: "Алёна", lastName: surname, birthDate });
      const transliterated = await registerChild(h, komi.id, { firstName: "Alena", lastName: latin, birthDate, document: { kind: "snils", number: snilsNumber() } });
      expect((await apply(komi.id, transliterated.childId)).statusCode).toBe(202);
      const sister = await registerChild(h, komi.id, { firstName: "Вероника", lastName: surname, birthDate });
      expect((await apply(komi.id, sister.childId)).statusCode).toBe(201);
    });

    it("accepts a child's own passport from 14, and refuses it for a younger child naming the field", async () => {
      const guardianIds = [await registerGuardian(h, komi.id)];
      const teen = await h.app.inject({ method: "POST", url: "/children", headers: await office(h, komi.id), payload: childBody(guardianIds, { birthDate: "2011-01-10", document: { kind: "passport", number: passportNumber() } }) });
      expect(teen.statusCode).toBe(201);
      const before = await snapshot(h.pool);
      const young = await h.app.inject({ method: "POST", url: "/children", headers: await office(h, komi.id), payload: childBody(guardianIds, { birthDate: "2014-01-10", document: { kind: "passport", number: passportNumber() } }) });
      expect(young.json()).toMatchObject({ status: 422, code: "REGISTRY.PASSPORT_TOO_YOUNG", invalidParams: [{ name: "body.document.kind" }] });
      expect(await snapshot(h.pool)).toEqual(before);
    });
  });

  describe("lifecycle", () => {
    const act = async (path: string, certificateId: string, municipalityId: string, payload?: Record<string, unknown>) =>
      h.app.inject({ method: "POST", url: `/certificates/${certificateId}/${path}`, headers: await office(h, municipalityId), ...(payload && { payload }) });

    it("suspends, resumes and closes, announcing each, and refuses what the state does not allow", async () => {
      const { certificateId } = await issuedCertificate(h, komi.id);
      expect((await act("suspension", certificateId, komi.id, { reason: "проверка документов", code: "documents_check" })).json()).toMatchObject({ status: "suspended", suspendedReason: "проверка документов" });
      expect((await act("suspension", certificateId, komi.id, { reason: "ещё раз" })).json()).toMatchObject({ status: 409, code: "REGISTRY.CERTIFICATE_TRANSITION" });
      expect((await act("resumption", certificateId, komi.id)).json()).toMatchObject({ status: "active", suspendedReason: null });
      const needsComment = await act("closure", certificateId, komi.id, { reason: "decision" });
      expect(needsComment.json()).toMatchObject({ status: 400, invalidParams: [{ name: "body.comment" }] });
      expect((await act("closure", certificateId, komi.id, { reason: "left_region" })).json()).toMatchObject({ status: "closed", closedReason: "left_region" });
      expect((await act("resumption", certificateId, komi.id)).statusCode).toBe(409);

      const events = async (type: string) => (await outboxEvents<Record<string, unknown>>(h.pool, type)).filter((e) => e.aggregateId === certificateId);
      // The office's words stay in the registry; the events say why by code.
      const suspended = await events("registry.certificate.suspended");
      expect(suspended[0]?.data).toMatchObject({ reason: "documents_check" });
      expect(JSON.stringify(suspended)).not.toContain("проверка документов");
      expect(await events("registry.certificate.resumed")).toHaveLength(1);
      expect((await events("registry.certificate.closed"))[0]?.data).toEqual({ certificateId, number: expect.any(String) as unknown, childId: expect.any(String) as unknown, reason: "left_region" });
    });

    it("keeps the office's words of a closure by decision out of the event", async () => {
      const { certificateId } = await issuedCertificate(h, komi.id);
      const closed = await act("closure", certificateId, komi.id, { reason: "decision", comment: "семья переехала к бабушке в Елизово" });
      expect(closed.json()).toMatchObject({ status: "closed", closedReason: "decision" });
      const events = (await outboxEvents<Record<string, unknown>>(h.pool, "registry.certificate.closed")).filter((e) => e.aggregateId === certificateId);
      expect(events.map((e) => e.data.reason)).toEqual(["decision"]);
      expect(JSON.stringify(events)).not.toContain("Елизово");
    });

    it("lets only the office of the certificate's municipality, or the region, change it", async () => {
      const { certificateId, guardianId } = await issuedCertificate(h, komi.id);
      const before = await snapshot(h.pool);
      expect((await act("suspension", certificateId, kamchatka.id, { reason: "чужой" })).json()).toMatchObject({ status: 403, code: "AUTH.OTHER_MUNICIPALITY" });
      const parent = await h.as({ role: "guardian", municipalityId: komi.id, guardianId });
      const byParent = await h.app.inject({ method: "POST", url: `/certificates/${certificateId}/closure`, headers: parent, payload: { reason: "turned_18" } });
      expect(byParent.json()).toMatchObject({ status: 403, code: "AUTH.FORBIDDEN_ROLE" });
      expect(await snapshot(h.pool)).toEqual(before);
      const byRegion = await h.app.inject({ method: "POST", url: `/certificates/${certificateId}/suspension`, headers: await h.as({ role: "region", regionCode: "41" }), payload: { reason: "решение региона" } });
      expect(byRegion.statusCode).toBe(200);
    });

    it("moves within the region keeping the number and the family's link, arriving on accounting and giving back this year's financed place once", async () => {
      const from = await createMunicipality(h, { timeZone: "Asia/Kamchatka", settings: { financedCap: 5 } });
      const { certificateId, number, childId, guardianId } = await issuedCertificate(h, from.id);
      // A second family: one guardian's other child stays behind, so that guardian's record stays too.
      const split = await issuedCertificate(h, from.id);
      await registerChild(h, from.id, { guardianIds: [split.guardianId] });
      expect((await act("financing", certificateId, from.id)).json()).toMatchObject({ funding: "financed", financedYear: 2026 });
      const financedCount = async (id: string) =>
        (await h.pool.query<{ n: number }>("SELECT financed_count AS n FROM municipality_years WHERE municipality_id = $1 AND year = 2026", [id])).rows[0]?.n;
      expect(await financedCount(from.id)).toBe(1);

      const moved = await act("move", certificateId, from.id, { toMunicipalityId: komi.id });
      expect(moved.statusCode).toBe(200);
      expect(moved.json()).toMatchObject({ number, municipalityId: komi.id, status: "active", funding: "accounting", financedYear: null });
      expect(await financedCount(from.id)).toBe(0);
      expect((await h.app.inject({ method: "GET", url: `/children/${childId}`, headers: await office(h, komi.id) })).json()).toMatchObject({ municipalityId: komi.id });
      const [event] = (await outboxEvents(h.pool, "registry.certificate.moved")).filter((e) => e.aggregateId === certificateId);
      expect(event).toMatchObject({ municipalityId: komi.id, data: { number, fromMunicipalityId: from.id, toMunicipalityId: komi.id, funding: "accounting" } });
      // The old office no longer reaches it.
      expect((await act("suspension", certificateId, from.id, { reason: "проверка" })).statusCode).toBe(403);
      // The guardian moved with the child: the new office serves the family, the old one no longer.
      expect((await h.app.inject({ method: "GET", url: `/guardians/${guardianId}`, headers: await office(h, komi.id) })).json()).toMatchObject({ municipalityId: komi.id });
      expect((await h.app.inject({ method: "GET", url: `/guardians/${guardianId}`, headers: await office(h, from.id) })).statusCode).toBe(403);
      const family = await h.as({ role: "guardian", municipalityId: komi.id, guardianId });
      expect((await h.app.inject({ method: "GET", url: `/certificates/${certificateId}`, headers: family })).statusCode).toBe(200);

      // Moved back and on again, unfinanced: the old municipality's place is not given back a second time.
      const back = await act("move", certificateId, komi.id, { toMunicipalityId: from.id });
      expect(back.statusCode, back.body).toBe(200);
      expect(await financedCount(from.id)).toBe(0);
      expect((await act("financing", certificateId, from.id)).json()).toMatchObject({ funding: "financed" });
      expect(await financedCount(from.id)).toBe(1);
      expect((await act("move", certificateId, from.id, { toMunicipalityId: komi.id })).statusCode).toBe(200);
      expect((await act("move", certificateId, komi.id, { toMunicipalityId: from.id })).statusCode).toBe(200);
      expect(await financedCount(from.id)).toBe(0);

      // The family split between two municipalities keeps its record where the other child lives.
      expect((await act("move", split.certificateId, from.id, { toMunicipalityId: komi.id })).statusCode).toBe(200);
      expect((await h.app.inject({ method: "GET", url: `/guardians/${split.guardianId}`, headers: await office(h, from.id) })).json()).toMatchObject({ municipalityId: from.id });
    });

    it("refuses a move out of the region, to nowhere, or to where it already is, writing nothing", async () => {
      const created = await h.app.inject({
        method: "POST",
        url: "/municipalities",
        headers: await h.as({ role: "region", regionCode: "11" }),
        payload: { code: municipalityCode(), name: "Сыктывкар", regionCode: "11", timeZone: "Europe/Moscow", currency: "RUB" },
      });
      const abroad = created.json<{ id: string }>().id;
      const { certificateId } = await issuedCertificate(h, komi.id);
      const before = await snapshot(h.pool);
      const out = await act("move", certificateId, komi.id, { toMunicipalityId: abroad });
      expect(out.statusCode).toBe(422);
      expect(out.json()).toMatchObject({ code: "REGISTRY.MOVE_OUTSIDE_REGION", invalidParams: [{ name: "body.toMunicipalityId" }] });
      expect((await act("move", certificateId, komi.id, { toMunicipalityId: crypto.randomUUID() })).statusCode).toBe(404);
      expect((await act("move", certificateId, komi.id, { toMunicipalityId: komi.id })).json()).toMatchObject({ code: "REGISTRY.MOVE_TO_SAME_MUNICIPALITY" });
      expect(await snapshot(h.pool)).toEqual(before);
    });
  });
});
