import { randomUUID } from "node:crypto";
import { ApplicationSubmitted } from "@kruzhok/contracts";
import {
  childBody,
  createMunicipality,
  issuedCertificate,
  municipalityCode,
  office,
  passportNumber,
  registerChild,
  registerGuardian,
  registryHarness,
  yearSettings,
  type RegistryHarness,
} from "../../services/registry/test/fixtures/registry";
import { csvOf, generatedRows, importBody } from "../../services/registry/test/fixtures/child-import-file";
import { defineMatrix, HOME_REGION, someone, type World } from "./matrix";

// The registry's routes (port 3001): municipalities, guardians and children, certificates,
// providers. Its rule: another's resource is refused with 403 (AUTH.*, NOT_YOUR_CHILD,
// NOT_YOUR_RECORD), a missing one is 404.

interface RegistryWorld extends World {
  childId: string;
  certificateId: string;
  heldApplicationId: string;
  /** A child another guardian registered naming the home guardian as co-guardian, not yet confirmed. */
  invitedChildId: string;
  /** A category the home guardian claimed for their child, waiting for the office. */
  pendingClaimId: string;
  /** A bulk import of children the home office started. */
  importId: string;
}

// Even, so that serial + 1 changes only the last digit (a namesake one character apart is held).
const twinDocument = (digits: number) => ({ kind: "birth_certificate", number: `X-ЖЗ ${String(digits).padStart(6, "0")}` });

async function registryWorld(h: RegistryHarness): Promise<RegistryWorld> {
  const home = (await createMunicipality(h)).id;
  const neighbour = (await createMunicipality(h)).id;
  const guardianId = await registerGuardian(h, home);
  const otherGuardianId = await registerGuardian(h, home);
  const { certificateId, childId } = await issuedCertificate(h, home, { guardianIds: [guardianId] });

  // A held application: a namesake whose document is one character apart from a certified child's.
  const serial = 2 * (250_000 + Math.floor(Math.random() * 150_000));
  const twin = { firstName: "Иван", lastName: `Двойников${serial}`, birthDate: "2015-05-05", guardianIds: [guardianId] };
  await issuedCertificate(h, home, { ...twin, document: twinDocument(serial) });
  const held = await registerChild(h, home, { ...twin, document: twinDocument(serial + 1) });
  const applied = await h.app.inject({ method: "POST", url: "/certificates", headers: await office(h, home), payload: { childId: held.childId } });
  if (applied.statusCode !== 202) throw new Error(`no held application: ${applied.body}`);
  const heldApplicationId = applied.json<{ applicationId: string }>().applicationId;

  // Another family's guardian registers a child naming the home guardian: an invitation only.
  const inviterId = await registerGuardian(h, home);
  const invitedBy = await h.as({ role: "guardian", municipalityId: home, guardianId: inviterId });
  const inviting = await h.app.inject({ method: "POST", url: "/children", headers: invitedBy, payload: childBody([inviterId, guardianId]) });
  if (inviting.statusCode !== 201) throw new Error(`no invitation: ${inviting.body}`);
  const invitedChildId = inviting.json<{ id: string }>().id;

  // The home guardian registers another child, claiming a category: it waits for the office.
  const family = await h.as({ role: "guardian", municipalityId: home, guardianId });
  const proof = { kind: "справка органа соцзащиты", number: "12-345", issuer: "УСЗН", issuedOn: "2026-08-01" };
  const claiming = await h.app.inject({ method: "POST", url: "/children", headers: family, payload: childBody([guardianId], { categories: [{ code: "low_income", proof }] }) });
  if (claiming.statusCode !== 201) throw new Error(`no category claim: ${claiming.body}`);
  const pendingClaimId = claiming.json<{ categoryClaims: { id: string }[] }>().categoryClaims[0]!.id;

  // The home provider applies from its own account (its record takes the account's provider id).
  const providerId = someone();
  const applying = await h.app.inject({
    method: "POST",
    url: "/providers",
    headers: await h.as({ role: "provider", municipalityId: home, providerId }),
    payload: providerApplication(home),
  });
  if (applying.statusCode !== 201) throw new Error(`provider not applied: ${applying.body}`);
  // The home family's child applied to a group of the home provider (enrollment's news).
  const application = { applicationId: randomUUID(), childId, groupId: randomUUID(), programId: randomUUID(), providerId };
  await h.deliver(ApplicationSubmitted, { municipalityId: home, aggregateId: application.applicationId }, {
    ...application, status: "queued", acceptedAt: "2026-09-01T09:00:00.000001Z", reviewDueAt: "2026-09-04T12:00:00.000Z", submittedBy: "guardian",
  });

  // The home office imports two children from a file.
  const imported = await h.app.inject({ method: "POST", url: `/municipalities/${home}/child-imports`, headers: await office(h, home), payload: importBody(csvOf(generatedRows(2, importSerial()))) });
  if (imported.statusCode !== 201) throw new Error(`no import: ${imported.body}`);
  const importId = imported.json<{ id: string }>().id;

  return {
    home,
    neighbour,
    guardianId,
    providerId,
    otherGuardianId,
    otherProviderId: someone(),
    childId,
    certificateId,
    heldApplicationId,
    invitedChildId,
    pendingClaimId,
    importId,
    secrets: [guardianId, childId, certificateId, held.childId, heldApplicationId, invitedChildId, pendingClaimId, importId],
  };
}

// Import files' people: a block of serials of their own per call (the generator makes each row's from it).
let importBase = 4_000_000 + 1_000 * Math.floor(Math.random() * 1_000);
const importSerial = () => (importBase += 1_000);

let taxSerial = 1_000_000 + Math.floor(Math.random() * 8_000_000);
const providerApplication = (municipalityId: string) => ({
  municipalityId,
  kind: "private",
  name: "АНО «Матрица»",
  taxId: `41${String(taxSerial++).padStart(8, "0")}`,
  licence: { number: "Л035-41-1", issuedOn: "2024-02-01" },
});

export const registryMatrix = defineMatrix<RegistryWorld, RegistryHarness>({
  service: "registry",
  refusals: /^REGISTRY\.(NOT_YOUR_\w+|\w+_NOT_FOUND)$/,
  harness: (label) => registryHarness(label),
  world: registryWorld,
  routes: {
    "GET /municipalities": { public: "reference data: municipalities' names, codes, regions and zones" },
    "GET /municipalities/:id": { public: "reference data: one municipality" },
    "GET /municipalities/:id/years/:year": { public: "a year's published settings: nominal, cap, queue categories, deadlines" },
    "GET /providers/:id/children": { owner: "provider", call: (w) => ({ url: `/providers/${w.providerId}/children` }) },
    "GET /providers/:id/children/:childId": { owner: "provider", call: (w) => ({ url: `/providers/${w.providerId}/children/${w.childId}` }) },
    "GET /providers/:id": { public: "who teaches, for families (what it shows is the privacy helper's part of issue 12)" },
    "GET /municipalities/:id/providers": { public: "approved providers for families; the office of the municipality (and its region) sees the others" },

    "POST /municipalities": {
      owner: "region",
      call: () => ({ url: "/municipalities", payload: { code: municipalityCode(), name: "Посёлок Матричный", regionCode: HOME_REGION, timeZone: "Asia/Kamchatka", currency: "RUB" } }),
    },
    "GET /municipalities/:id/years/:year/versions": { owner: "municipality", call: (w) => ({ url: `/municipalities/${w.home}/years/2027/versions` }) },
    "PUT /municipalities/:id/years/:year": {
      owner: "municipality",
      call: (w) => ({ url: `/municipalities/${w.home}/years/2027`, payload: yearSettings() }),
    },
    "POST /guardians": {
      owner: "operator",
      call: (w) => ({ url: "/guardians", payload: { firstName: "Ольга", lastName: "Матрицына", document: { kind: "passport", number: passportNumber() }, municipalityId: w.home } }),
      notForeign: { "guardian of another family": "a guardian registers themself: the record is their own (already registered: 409)" },
    },
    "GET /guardians/:id": { owner: "guardian", call: (w) => ({ url: `/guardians/${w.guardianId}` }) },
    "GET /guardians/:id/children": { owner: "guardian", call: (w) => ({ url: `/guardians/${w.guardianId}/children` }) },
    "PUT /guardians/:id/language": { owner: "guardian", call: (w) => ({ url: `/guardians/${w.guardianId}/language`, payload: { language: "kk" } }) },
    "POST /children": { owner: "guardian", call: (w) => ({ url: "/children", payload: childBody([w.guardianId]) }) },
    "GET /children/:id": { owner: "guardian", call: (w) => ({ url: `/children/${w.childId}` }) },
    "POST /children/:id/guardians/:guardianId/confirmation": {
      owner: "guardian",
      call: (w) => ({ url: `/children/${w.invitedChildId}/guardians/${w.guardianId}/confirmation` }),
    },
    "GET /children/:id/audit": { owner: "guardian", call: (w) => ({ url: `/children/${w.childId}/audit` }) },
    "GET /guardians/:id/audit": { owner: "guardian", call: (w) => ({ url: `/guardians/${w.guardianId}/audit` }) },
    "PUT /children/:id/categories": {
      owner: "guardian",
      call: (w) => ({ url: `/children/${w.childId}/categories`, payload: { categories: [{ code: "large_family", proof: { kind: "удостоверение многодетной семьи", number: "41-77", issuer: "УСЗН", issuedOn: "2026-01-01" } }] } }),
    },
    "GET /children/:id/certificate": { owner: "guardian", call: (w) => ({ url: `/children/${w.childId}/certificate` }) },
    "POST /certificates": { owner: "guardian", call: (w) => ({ url: "/certificates", payload: { childId: w.childId } }) },
    "GET /certificates/:id": { owner: "guardian", call: (w) => ({ url: `/certificates/${w.certificateId}` }) },
    "GET /certificate-applications": {
      owner: "operator",
      call: () => ({ url: "/certificate-applications?status=held" }),
      notForeign: {
        "operator of another municipality": "lists the caller's own municipality's applications: it names no one else's",
        "municipality of another municipality": "lists the caller's own municipality's applications: it names no one else's",
      },
    },
    "POST /certificate-applications/:id/decision": {
      owner: "operator",
      call: (w) => ({ url: `/certificate-applications/${w.heldApplicationId}/decision`, payload: { decision: "reject", comment: "документ ребёнка не подтверждён" } }),
    },
    "GET /children": {
      owner: "operator",
      call: () => ({ url: "/children?birthDate=2015-05-05" }),
      notForeign: {
        "operator of another municipality": "searches the caller's own municipality's children: it finds no one else's",
        "municipality of another municipality": "searches the caller's own municipality's children: it finds no one else's",
      },
    },
    "GET /person-lookups": {
      owner: "municipality",
      call: () => ({ url: "/person-lookups" }),
      notForeign: { "municipality of another municipality": "lists the caller's own municipality's look-ups: it names no one else's" },
    },
    "GET /category-claims": {
      owner: "operator",
      call: () => ({ url: "/category-claims" }),
      notForeign: {
        "operator of another municipality": "lists the caller's own municipality's claims: it names no one else's",
        "municipality of another municipality": "lists the caller's own municipality's claims: it names no one else's",
      },
    },
    "POST /category-claims/:id/decision": {
      owner: "operator",
      call: (w) => ({ url: `/category-claims/${w.pendingClaimId}/decision`, payload: { decision: "reject", reason: "справка не заверена: принесите оригинал" } }),
    },
    "POST /municipalities/:id/child-imports": {
      owner: "operator",
      call: (w) => ({ url: `/municipalities/${w.home}/child-imports`, payload: importBody(csvOf(generatedRows(2, importSerial()))) }),
    },
    "GET /child-imports/:id": { owner: "operator", call: (w) => ({ url: `/child-imports/${w.importId}` }) },
    "GET /municipalities/:id/child-imports": { owner: "municipality", call: (w) => ({ url: `/municipalities/${w.home}/child-imports` }) },
    "POST /certificates/:id/financing": { owner: "guardian", call: (w) => ({ url: `/certificates/${w.certificateId}/financing` }) },

    "POST /providers": {
      owner: "provider",
      call: (w) => ({ url: "/providers", payload: providerApplication(w.home) }),
      notForeign: { "provider of another provider": "a provider applies as itself: the record is its own" },
    },
    // The provider's own municipality vets it as its region does (issue 18): the home office is the owner here, the region in the rows below.
    "PUT /providers/:id/checks": {
      owner: "municipality",
      call: (w) => ({ url: `/providers/${w.providerId}/checks`, payload: { staff: "passed", premises: "passed", safety: "passed" } }),
    },
    "POST /providers/:id/approval": { owner: "municipality", call: (w) => ({ url: `/providers/${w.providerId}/approval`, payload: {} }) },
    "POST /providers/:id/suspension": { owner: "region", call: (w) => ({ url: `/providers/${w.providerId}/suspension`, payload: { reason: "предписание надзора" } }) },
    "POST /providers/:id/reinstatement": { owner: "region", call: (w) => ({ url: `/providers/${w.providerId}/reinstatement`, payload: {} }) },
    "POST /providers/:id/rejection": { owner: "region", call: (w) => ({ url: `/providers/${w.providerId}/rejection`, payload: { reasons: ["нет заключения пожарной безопасности"] } }) },

    // The certificate's lifecycle last: the closure ends it (a move after it is refused by its state).
    "POST /certificates/:id/suspension": { owner: "operator", call: (w) => ({ url: `/certificates/${w.certificateId}/suspension`, payload: { reason: "проверка документов" } }) },
    "POST /certificates/:id/resumption": { owner: "operator", call: (w) => ({ url: `/certificates/${w.certificateId}/resumption` }) },
    "POST /certificates/:id/closure": {
      owner: "operator",
      call: (w) => ({ url: `/certificates/${w.certificateId}/closure`, payload: { reason: "decision", comment: "по заявлению семьи" } }),
    },
    "POST /certificates/:id/move": { owner: "operator", call: (w) => ({ url: `/certificates/${w.certificateId}/move`, payload: { toMunicipalityId: w.neighbour } }) },
  },
});
