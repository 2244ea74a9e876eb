import { randomInt } from "node:crypto";
import type { HttpAnswer } from "@kruzhok/testkit";
import { waitFor } from "@kruzhok/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { translator } from "../../services/portal/src/pages/texts";
import { known, type Kruzhok, type Story } from "../system/story";
import { DESKTOP, PHONE, Person, SCREENSHOTS, shows } from "./browser";
import { startPortalSystem, type PortalSystem } from "./portal-system";

// An operator acts for a family who came to the office in person (issue #18), in a real browser on
// a phone without JavaScript against the real services: registers the guardian and the child
// (first without a basis: refused beside the basis), applies for the certificate, applies to the
// story's group, ranks the choices of an open campaign for the child (on a written request with
// its reference), and, when the provider's confirmation brings an offer, records the contract the
// family signed on paper. Then the family itself reads every act with its basis in the registry's
// and enrollment's trails, and the operator sees the same trail on the child's page. Every page is
// photographed at both widths and checked with axe-core.

const MUNICIPALITY = "Городской округ Сюжетный";
const PROGRAM = "Робототехника и программирование";
const NEIGHBOUR = "Городской округ Соседний";
const REFERENCE = "ВХ-2026/154";

let ps: PortalSystem;
let system: Kruzhok;
let story: Story;
/** The child the operator registers in the first journey (the second reads its page). */
let childId = "";

function expectStatus<T>(answer: HttpAnswer, status: number): T {
  expect(answer.status, answer.body).toBe(status);
  return answer.json<T>();
}

const yearsAgo = (years: number) => {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() - years);
  return d.toISOString().slice(0, 10);
};
const serial = () => String(randomInt(1_000_000)).padStart(6, "0");

interface TrailEntry {
  action: string;
  by: { role: string };
  basis: { kind: string; reference: string | null };
}

beforeAll(async () => {
  ps = await startPortalSystem("portal-office-acting");
  system = ps.system;
  story = ps.story;
  // A neighbouring municipality of the region, whose operator must not reach the story's families.
  const neighbour = await system.services.registry.call("POST", "/municipalities", {
    as: story.region,
    body: { code: String(1000 + randomInt(9000)), name: NEIGHBOUR, regionCode: "11", timeZone: story.timeZone, currency: "RUB" },
  });
  expectStatus(neighbour, 201);
});

afterAll(async () => {
  await ps?.close();
});

describe(`an operator acts for a family at the office (screenshots in ${SCREENSHOTS})`, () => {
  it("registers the family and child, applies for the certificate and a group, ranks campaign choices and records the signature; the family reads each act with its basis", async () => {
    const t = translator("ru");
    const { catalogue, enrollment, registry } = system.services;
    const municipalityId = known(story, "municipalityId");
    const person = await Person.open(ps.browser, "office-acting", { size: PHONE, language: "ru", javaScript: false, baseURL: ps.baseURL });
    const { page } = person;
    try {
      // A second group of the program, for a campaign the municipality announces now (the story's
      // group takes first-come applications; a group in a campaign would not).
      const group = await catalogue.call("POST", `/programs/${known(story, "programId")}/groups`, {
        as: known(story, "provider"),
        body: {
          capacity: 3,
          schedule: { timeZone: story.timeZone, slots: [{ weekday: 6, start: "11:00", end: "12:30" }] },
          startsOn: new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10),
          endsOn: new Date(Date.now() + 200 * 86_400_000).toISOString().slice(0, 10),
        },
      });
      const campaignGroupId = expectStatus<{ id: string }>(group, 201).id;
      const announced = await enrollment.waitForAnswer(
        "POST",
        "/campaigns",
        {
          as: known(story, "municipality"),
          body: { municipalityId, name: "Осенний набор", groupIds: [campaignGroupId], maxChoices: 2, opensAt: new Date(Date.now() - 60_000).toISOString(), closesAt: new Date(Date.now() + 7 * 86_400_000).toISOString() },
        },
        (answer) => (answer.status === 201 ? answer : undefined),
        "enrollment to hear of the campaign's group",
      );
      const campaignId = expectStatus<{ id: string }>(announced, 201).id;

      // The operator signs in and opens the acting desk from the office's home.
      await page.goto("/sign-in");
      await page.getByRole("button", { name: `${t("signIn.as")}: ${t("signIn.operator")} (${MUNICIPALITY})` }).click();
      await shows(page.getByRole("heading", { level: 1, name: t("office.title") }));
      await page.getByRole("link", { name: t("office.acting") }).click();
      await shows(page.getByRole("heading", { level: 1, name: t("office.acting") }));
      await person.look("start");

      // Registration: the guardian and the child, first without a basis (refused beside it).
      await page.getByRole("link", { name: t("acting.register") }).click();
      await shows(page.getByRole("heading", { level: 1, name: t("acting.register") }));
      await person.look("register");
      const guardian = page.getByRole("group", { name: t("acting.guardian") });
      await guardian.getByLabel(t("field.lastName"), { exact: true }).fill("Очная");
      await guardian.getByLabel(t("field.firstName"), { exact: true }).fill("Вера");
      await guardian.getByLabel(t("field.documentKind"), { exact: true }).selectOption("passport");
      await guardian.getByLabel(t("field.documentNumber"), { exact: true }).fill(`45 10 ${serial()}`);
      await guardian.getByLabel(t("field.phone"), { exact: true }).fill("+79001234567");
      const child = page.getByRole("group", { name: t("acting.child") });
      await child.getByLabel(t("field.lastName"), { exact: true }).fill("Очная");
      await child.getByLabel(t("field.firstName"), { exact: true }).fill("Лиза");
      await child.getByLabel(t("field.birthDate"), { exact: true }).fill(yearsAgo(9));
      await child.getByLabel(t("field.documentKind"), { exact: true }).selectOption("birth_certificate");
      await child.getByLabel(t("field.documentNumber"), { exact: true }).fill(`IV-АБ ${serial()}`);
      await page.getByRole("button", { name: t("acting.registerSubmit") }).click();
      await expect.poll(() => page.getByLabel(t("office.basisKind"), { exact: true }).getAttribute("aria-invalid")).toBe("true");
      await shows(page.locator(".field.has-error").filter({ has: page.getByLabel(t("office.basisKind"), { exact: true }) }).getByText(t("office.basisRequired")));
      await person.look("register-no-basis");
      // With the basis, but a birth date to come: the guardian is registered, the child refused
      // beside its birth date, and the form keeps the guardian (the next attempt adds only the child).
      await page.getByLabel(t("office.basisKind"), { exact: true }).selectOption("in_person_visit");
      await child.getByLabel(t("field.birthDate"), { exact: true }).fill("2099-01-01");
      await page.getByRole("button", { name: t("acting.registerSubmit") }).click();
      await expect.poll(() => page.getByRole("group", { name: t("acting.child") }).getByLabel(t("field.birthDate"), { exact: true }).getAttribute("aria-invalid")).toBe("true");
      await shows(page.getByText(t("acting.guardianRegistered")));
      await shows(page.getByText(t("acting.guardianKnown")));
      await person.look("register-child-refused");
      await page.getByRole("group", { name: t("acting.child") }).getByLabel(t("field.birthDate"), { exact: true }).fill(yearsAgo(9));
      await page.getByRole("button", { name: t("acting.registerSubmit") }).click();
      await shows(page.getByRole("heading", { level: 1, name: "Очная Лиза" }));
      await shows(page.getByText(t("acting.done.registered")));
      childId = /\/office\/acting\/children\/([0-9a-f-]{36})/.exec(page.url())?.[1] ?? "";
      expect(childId).not.toBe("");
      await person.look("child-registered");

      // The certificate, the basis carried from the registration (still shown, and sent).
      await page.getByRole("link", { name: t("child.applyCertificate") }).click();
      await shows(page.getByRole("heading", { level: 1, name: t("child.applyCertificate") }));
      expect(await page.getByLabel(t("office.basisKind"), { exact: true }).inputValue()).toBe("in_person_visit");
      await person.look("certificate");
      await page.getByRole("button", { name: t("child.applyCertificate") }).click();
      await shows(page.getByText(t("acting.done.certificate")));
      await shows(page.getByText(new RegExp(t("child.certificateNumber", { number: ".+" }))));

      // An application to the story's group found by a program search; enrollment may not have
      // heard of the certificate yet: the operator tries again, as a person would.
      await waitFor(
        async () => {
          await page.goto(`/office/acting/children/${childId}/applications?basis=in_person_visit&q=${encodeURIComponent("Робототехника")}`);
          await page.getByLabel(t("acting.group"), { exact: true }).selectOption(known(story, "groupId"), { timeout: 2_000 });
          await page.getByRole("button", { name: t("acting.applySubmit") }).click();
          return (await page.getByText(t("acting.done.applied")).isVisible()) ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500, what: "the application accepted" },
      );
      await page.goto(`/office/acting/children/${childId}/applications?basis=in_person_visit&q=${encodeURIComponent("Робототехника")}`);
      await shows(page.getByLabel(t("acting.group"), { exact: true }));
      await person.look("apply");
      // A group number that is none is refused beside the field, before any service is asked.
      await page.goto(`/office/acting/children/${childId}/applications?basis=in_person_visit`);
      await page.getByLabel(t("acting.groupNumber"), { exact: true }).fill("не номер");
      await page.getByRole("button", { name: t("acting.applySubmit") }).click();
      await shows(page.locator(".field.has-error").getByText(t("acting.groupRequired")));
      await person.look("apply-errors");

      // The campaign's choices, on the family's written request with its reference.
      await page.goto(`/office/acting/children/${childId}`);
      await page.getByRole("link", { name: "Осенний набор" }).click();
      await shows(page.getByRole("heading", { level: 1, name: "Осенний набор" }));
      await page.getByLabel(t("campaign.choice", { n: 1 }), { exact: true }).selectOption(campaignGroupId);
      await page.getByLabel(t("office.basisKind"), { exact: true }).selectOption("written_request");
      await page.getByRole("button", { name: t("campaign.save") }).click();
      // A written request without its reference: refused beside the reference.
      await expect.poll(() => page.getByLabel(t("office.ref"), { exact: true }).getAttribute("aria-invalid")).toBe("true");
      await person.look("campaign-errors");
      await page.getByLabel(t("office.ref"), { exact: true }).fill(REFERENCE);
      await page.getByRole("button", { name: t("campaign.save") }).click();
      await shows(page.getByText(t("acting.done.ranked")));
      const choices = expectStatus<{ choices: string[] }>(await enrollment.call("GET", `/campaigns/${campaignId}/children/${childId}`, { as: await system.as({ role: "operator", municipalityId }) }), 200);
      expect(choices.choices).toEqual([campaignGroupId]);

      // The offer: the certificate is financed, the application queued; the provider confirms it.
      const operator = await system.as({ role: "operator", municipalityId });
      const queued = await enrollment.waitForAnswer(
        "GET",
        `/children/${childId}/applications`,
        { as: operator },
        (answer) => (answer.json<{ groupId: string; status: string }[]>().some((a) => a.groupId === known(story, "groupId") && a.status === "queued") ? answer : undefined),
        "the certificate financed and the application queued",
      );
      const applicationId = queued.json<{ id: string; groupId: string }[]>().find((a) => a.groupId === known(story, "groupId"))!.id;
      const reviewed = await enrollment.call("POST", `/applications/${applicationId}/review`, { as: known(story, "provider"), body: { decision: "confirmed" } });
      expect(expectStatus<{ status: string }>(reviewed, 200).status).toBe("offered");

      await page.goto(`/office/acting/children/${childId}`);
      await shows(page.getByRole("link", { name: t("acting.sign") }));
      await person.look("child-offer");
      await page.getByRole("link", { name: t("acting.sign") }).click();
      await shows(page.getByRole("heading", { level: 1, name: t("contract.title", { title: PROGRAM }) }));
      // Neither the paper signature ticked nor a basis chosen: both refused beside their fields.
      await page.getByRole("button", { name: t("acting.signSubmit") }).click();
      await expect.poll(() => page.getByLabel(t("acting.signedOnPaper"), { exact: true }).getAttribute("aria-invalid")).toBe("true");
      await expect.poll(() => page.getByLabel(t("office.basisKind"), { exact: true }).getAttribute("aria-invalid")).toBe("true");
      await person.look("sign-errors");
      await page.getByLabel(t("acting.signedOnPaper"), { exact: true }).check();
      await page.getByLabel(t("office.basisKind"), { exact: true }).selectOption("in_person_visit");
      await page.getByRole("button", { name: t("acting.signSubmit") }).click();
      await shows(page.getByText(t("acting.done.signed")));
      await shows(page.getByText(t("acting.action.offer.accepted")));
      await person.look("child-signed");

      // The family reads each act with its basis: the registry's and enrollment's trails, with the guardian's own token.
      const registered = expectStatus<{ guardianIds: string[] }>(await registry.call("GET", `/children/${childId}`, { as: operator }), 200);
      const family = await system.as({ role: "guardian", municipalityId, guardianId: registered.guardianIds[0]! });
      const registryTrail = expectStatus<TrailEntry[]>(await registry.call("GET", `/children/${childId}/audit`, { as: family }), 200);
      expect(registryTrail.map((e) => [e.action, e.by.role, e.basis.kind, e.basis.reference])).toEqual(
        expect.arrayContaining([
          ["child.registered", "operator", "in_person_visit", null],
          ["certificate.applied", "operator", "in_person_visit", null],
        ]),
      );
      const guardianTrail = expectStatus<TrailEntry[]>(await registry.call("GET", `/guardians/${registered.guardianIds[0]}/audit`, { as: family }), 200);
      expect(guardianTrail).toEqual([expect.objectContaining({ action: "guardian.registered", basis: { kind: "in_person_visit", reference: null } })]);
      const enrollmentTrail = expectStatus<TrailEntry[]>(await enrollment.call("GET", `/children/${childId}/audit`, { as: family }), 200);
      expect(enrollmentTrail.map((e) => [e.action, e.by.role, e.basis.kind, e.basis.reference])).toEqual([
        ["application.submitted", "operator", "in_person_visit", null],
        ["campaign.choices-submitted", "operator", "written_request", REFERENCE],
        ["offer.accepted", "operator", "in_person_visit", null],
      ]);
      // The contract is recorded as signed in person, by the operator's desk.
      const enrolled = expectStatus<{ enrollment: { id: string } | null; status: string }>(await enrollment.call("GET", `/applications/${applicationId}`, { as: family }), 200);
      expect(enrolled.status).toBe("enrolled");
      const contract = expectStatus<{ contract: { method: string; signedRole: string } }>(await enrollment.call("GET", `/enrollments/${enrolled.enrollment!.id}`, { as: family }), 200);
      expect(contract.contract).toMatchObject({ method: "in_person", signedRole: "operator" });
    } finally {
      await person.close();
    }
  });

  it("in Kazakh at desktop width with JavaScript: the operator reads the child's page and its trail; the neighbouring municipality's operator finds nothing and is not let in", async () => {
    const t = translator("kk");
    expect(childId).not.toBe("");
    const home = await Person.open(ps.browser, "office-acting-kk", { size: DESKTOP, language: "kk", javaScript: true, baseURL: ps.baseURL });
    try {
      const { page } = home;
      await page.goto("/sign-in");
      await page.getByRole("button", { name: `${t("signIn.as")}: ${t("signIn.operator")} (${MUNICIPALITY})` }).click();
      await page.goto("/office/acting");
      await shows(page.getByRole("heading", { level: 1, name: t("office.acting") }));
      await home.look("start");
      await page.getByRole("link", { name: t("acting.register") }).click();
      await shows(page.getByRole("heading", { level: 1, name: t("acting.register") }));
      await home.look("register");
      // The family found by the start page's search (with its basis), its child's page opened from the results.
      await page.goto("/office/acting");
      await page.getByLabel(t("office.name"), { exact: true }).fill("Очная");
      await page.getByLabel(t("office.basisKind"), { exact: true }).selectOption("in_person_visit");
      await page.getByRole("button", { name: t("office.search") }).click();
      await page.getByRole("link", { name: "Очная Лиза" }).click();
      await shows(page.getByRole("heading", { level: 1, name: "Очная Лиза" }));
      expect(page.url()).toContain(`/office/acting/children/${childId}`);
      await shows(page.getByText(t("acting.action.offer.accepted")));
      await shows(page.getByText(t("acting.action.child.looked-up")));
      await shows(page.getByText(new RegExp(`${t("office.basis.written_request")} № ${REFERENCE}`)));
      await home.look("child");
    } finally {
      await home.close();
    }

    const stranger = await Person.open(ps.browser, "office-acting-neighbour", { size: DESKTOP, language: "kk", javaScript: true, baseURL: ps.baseURL });
    try {
      const { page } = stranger;
      await page.goto("/sign-in");
      await page.getByRole("button", { name: `${t("signIn.as")}: ${t("signIn.operator")} (${NEIGHBOUR})` }).click();
      // The search runs in the operator's own municipality only: the story's child is not found.
      await page.goto("/office/acting");
      await page.getByLabel(t("office.name"), { exact: true }).fill("Очная");
      await page.getByLabel(t("office.basisKind"), { exact: true }).selectOption("in_person_visit");
      await page.getByRole("button", { name: t("office.search") }).click();
      await shows(page.getByText(t("office.none")));
      await stranger.look("search-none");
      // The child's page and its acts by address: not found, as for no child at all.
      for (const path of [`/office/acting/children/${childId}`, `/office/acting/children/${childId}/certificate`, `/office/acting/children/${childId}/applications`]) {
        const answer = await page.goto(path);
        expect(answer?.status(), path).toBe(404);
        await shows(page.getByRole("heading", { level: 1, name: t("error.notFound") }));
      }
      await stranger.look("not-found");
    } finally {
      await stranger.close();
    }
  });
});
