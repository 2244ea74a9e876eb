import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { systemUnderTest, waitFor } from "@kruzhok/testkit";
import { translator, type Translate } from "../../services/portal/src/pages/texts";
import {
  billingRulesSet,
  certificateFinanced,
  certificateIssued,
  familyApplies as familyAppliesByApi,
  familyRegistered,
  known,
  municipalityWithRules,
  newStory,
  programPublished,
  providerApproved,
  storyServices,
  type Kruzhok,
  type Story,
} from "../system/story";
import { DESKTOP, launchBrowser, Person, PHONE, SCREENSHOTS, shows, signIn } from "./browser";

// The portal's journeys in a real browser (Debian's Chromium through playwright-core) against
// the real services as processes over the real broker: a family finds a program, registers
// itself and its child, gets the certificate, applies and follows its place in the queue, and
// signs the contract; the provider reviews the application from its office. One family in
// Russian on a phone without JavaScript, the other in Kazakh at desktop width with it. Every page
// reached is photographed at both widths into SCREENSHOTS and checked with axe-core (no serious
// or critical violation). Forms get bad input and answer with errors beside their fields; a
// family that puts another family's child's id in the address gets "not found".

const portalMain = fileURLToPath(new URL("../../services/portal/src/main.ts", import.meta.url));
const MUNICIPALITY = "Городской округ Сюжетный";
const PROGRAM = "Робототехника и программирование";

type PortalSystem = Kruzhok;

let system: PortalSystem;
let story: Story;
let browser: Browser;
let baseURL: string;

/** A birth date `years` years before today. */
const yearsAgo = (years: number) => {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() - years);
  return d.toISOString().slice(0, 10);
};

/** The month of the group's first lessons: it starts two weeks after today (programPublished). */
const firstLessonMonth = () => new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 7);
const nextMonth = (month: string) => new Date(Date.parse(`${month}-28T00:00:00Z`) + 7 * 86_400_000).toISOString().slice(0, 7);
/** Whole days from the story's local today to `date`. */
const daysUntil = (date: string) =>
  Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${new Date().toLocaleDateString("en-CA", { timeZone: story.timeZone })}T00:00:00Z`)) / 86_400_000);

const documentNumber = () => String(Math.floor(Math.random() * 1e10)).padStart(10, "0");


/** Registration of the signed-in new family, first with every field wrong, then right. */
async function familyRegisters(person: Person, t: Translate, lastName: string): Promise<void> {
  const { page } = person;
  await shows(page.getByRole("heading", { level: 1, name: t("family.register") }));
  await person.look("registration");
  // Bad input: nothing filled in, an e-mail that is none.
  await page.getByLabel(t("field.email"), { exact: true }).fill("не почта");
  await page.getByRole("button", { name: t("form.save") }).click();
  const summary = page.getByRole("alert");
  await expect.poll(() => summary.innerText()).toContain(t("form.errors"));
  await shows(summary.getByRole("link", { name: new RegExp(t("field.lastName")) }));
  await expect.poll(() => page.getByLabel(t("field.email"), { exact: true }).getAttribute("aria-invalid")).toBe("true");
  await shows(page.locator(".field.has-error").filter({ has: page.getByLabel(t("field.lastName"), { exact: true }) }).locator(".error"));
  await person.look("registration-errors");
  await page.getByLabel(t("field.lastName"), { exact: true }).fill(lastName);
  await page.getByLabel(t("field.firstName"), { exact: true }).fill("Анна");
  // A passport in both languages (an IIN, Kazakh pages' default, has a check digit).
  await page.getByLabel(t("field.documentKind"), { exact: true }).selectOption("passport");
  await page.getByLabel(t("field.documentNumber"), { exact: true }).fill(documentNumber());
  await page.getByLabel(t("field.email"), { exact: true }).fill(`family-${documentNumber()}@example.org`);
  await page.getByRole("button", { name: t("form.save") }).click();
  await shows(page.getByRole("heading", { level: 1, name: t("family.title") }));
  await shows(page.getByText(t("family.noChildren")));
  await person.look("family-empty");
}

/** A child added (a birth date in the future refused first), its certificate applied for; returns the child's id. */
async function childWithCertificate(person: Person, t: Translate, firstName: string): Promise<string> {
  const { page } = person;
  await page.getByRole("link", { name: t("family.addChild") }).click();
  await page.getByLabel(t("field.lastName"), { exact: true }).fill("Сюжетова");
  await page.getByLabel(t("field.firstName"), { exact: true }).fill(firstName);
  await page.getByLabel(t("field.birthDate"), { exact: true }).fill("2099-01-01");
  await page.getByLabel(t("field.documentKind"), { exact: true }).selectOption("birth_certificate");
  await page.getByLabel(t("field.documentNumber"), { exact: true }).fill(`I-ЖК ${documentNumber().slice(0, 6)}`);
  await page.getByRole("button", { name: t("form.save") }).click();
  await expect.poll(() => page.getByLabel(t("field.birthDate"), { exact: true }).getAttribute("aria-invalid")).toBe("true");
  await person.look("child-errors");
  await page.getByLabel(t("field.birthDate"), { exact: true }).fill(yearsAgo(9));
  await page.getByRole("button", { name: t("form.save") }).click();
  await shows(page.getByRole("heading", { level: 1, name: new RegExp(firstName) }));
  await shows(page.getByText(t("child.noCertificate")));
  await person.look("child-new");
  await page.getByRole("button", { name: t("child.applyCertificate") }).click();
  await shows(page.getByText(new RegExp(t("child.certificateNumber", { number: ".+" }))));
  const childId = /\/family\/children\/([0-9a-f-]{36})/.exec(page.url())?.[1];
  expect(childId).toBeDefined();
  return childId!;
}

/** The family applies to the story's group from the program's page (the service may not have heard of the certificate yet: the person tries again). */
async function familyApplies(person: Person, t: Translate, firstName: string): Promise<void> {
  const { page } = person;
  await waitFor(
    async () => {
      await page.goto(`/programs/${known(story, "programId")}`);
      await page.getByLabel(t("program.child"), { exact: true }).selectOption({ label: `${firstName} Сюжетова` });
      await page.getByRole("button", { name: t("program.apply") }).click();
      return (await page.getByText(t("application.applied")).isVisible()) ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500, what: "the application accepted" },
  );
  await person.look("applied");
}

beforeAll(async () => {
  const services = storyServices();
  system = (await systemUnderTest(inject("infra"), "portal", {
    registry: services.registry,
    catalogue: services.catalogue,
    enrollment: services.enrollment,
    payments: services.payments,
    attendance: services.attendance,
    portal: { main: portalMain },
  })) as unknown as PortalSystem;
  const all = system.services as unknown as Record<string, { port: number; start(env?: Record<string, string>): Promise<unknown> }>;
  await system.start(...(["registry", "catalogue", "enrollment", "payments", "attendance"] as never[]));
  const url = (name: string) => `http://127.0.0.1:${all[name]!.port}`;
  await all.portal!.start({
    REGISTRY_URL: url("registry"),
    CATALOGUE_URL: url("catalogue"),
    ENROLLMENT_URL: url("enrollment"),
    PAYMENTS_URL: url("payments"),
    ATTENDANCE_URL: url("attendance"),
  });
  baseURL = url("portal");
  story = await newStory(system);
  await municipalityWithRules(system, story);
  await providerApproved(system, story);
  await billingRulesSet(system, story);
  await programPublished(system, story);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await system?.cleanup();
});

describe(`the portal in a browser (screenshots in ${SCREENSHOTS})`, () => {
  let russianChild = "";
  // The Russian family keeps its session from its journey to the offer it accepts at the end.
  let ruFamily: Person | undefined;
  // The group's first lessons with the Russian family's child (found by the marking journey).
  let markable: { date: string; start: string }[] = [];
  afterAll(async () => ruFamily?.close());

  it("a family in Russian on a phone without JavaScript: finds the program, registers, gets the certificate, applies and sees its place", async () => {
    const t = translator("ru");
    const person = await Person.open(browser, "ru-family", { size: PHONE, language: "ru", javaScript: false, baseURL });
    ruFamily = person;
    const { page } = person;
    {
      await page.goto("/");
      await shows(page.getByRole("heading", { level: 1, name: t("search.title") }));
      await person.look("navigator");
      // The version for the visually impaired: a link away, large text and high contrast, axe-clean too.
      await page.getByRole("link", { name: t("settings.contrastOn") }).click();
      await shows(page.getByRole("link", { name: t("settings.contrastOff") }));
      await person.look("navigator-contrast");
      await page.getByRole("link", { name: t("settings.contrastOff") }).click();
      // Bad input in the search: an age the navigator does not serve is told beside the field.
      await page.getByLabel(t("search.age"), { exact: true }).fill("3");
      await page.getByRole("button", { name: t("search.submit") }).click();
      await expect.poll(() => page.getByLabel(t("search.age"), { exact: true }).getAttribute("aria-invalid")).toBe("true");
      await person.look("navigator-errors");
      await page.getByLabel(t("search.age"), { exact: true }).fill("9");
      await page.getByLabel(t("search.direction"), { exact: true }).selectOption("technical");
      await page.getByRole("button", { name: t("search.submit") }).click();
      await shows(page.getByRole("link", { name: PROGRAM }));
      await person.look("navigator-results");
      await page.getByRole("link", { name: PROGRAM }).click();
      await shows(page.getByRole("heading", { level: 1, name: PROGRAM }));
      await shows(page.getByText(/НОК-11-2026-017/));
      // What the certificate covers: the catalogue's estimate from the municipality's nominal of the year.
      await shows(page.getByText(new RegExp(t("program.certificatePays", { amount: ".+" }))));
      await shows(page.getByText(t("program.signInToApply")));
      await person.look("program");

      await page.goto("/sign-in");
      await person.look("sign-in");
      await signIn(page, t, `${t("signIn.newFamily")} (${MUNICIPALITY})`);
      await familyRegisters(person, t, "Сюжетова");
      russianChild = await childWithCertificate(person, t, "Мария");
      await person.look("child-certificate");
      await familyApplies(person, t, "Мария");
      // Financing is asked for over Kafka; the family reloads until the application is queued.
      await waitFor(
        async () => {
          await page.reload();
          return (await page.getByText(/Место в очереди: \d+ из \d+/).first().isVisible()) ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500, what: "the place in the queue" },
      );
      await person.look("queued");
    }
  });

  it("another family, in Kazakh at desktop width: gets 'not found' for the first family's child, and its own journey in Kazakh", async () => {
    const t = translator("kk");
    const person = await Person.open(browser, "kk-family", { size: DESKTOP, language: "kk", javaScript: true, baseURL });
    const { page } = person;
    try {
      await signIn(page, t, `${t("signIn.newFamily")} (${MUNICIPALITY})`);
      await familyRegisters(person, t, "Сериков");
      await page.goto(`/family/children/${russianChild}`);
      await shows(page.getByRole("heading", { level: 1, name: t("error.notFound") }));
      await expect.poll(() => page.getByText("Мария").count()).toBe(0);
      await person.look("other-family-child");
      await page.goto("/family");
      await childWithCertificate(person, t, "Әлия");
      await familyApplies(person, t, "Әлия");
      await person.look("applied-kk");
      // Once queued, the open page is told of its place as the queue changes (Server-Sent
      // Events), without a reload and without asking every 15 s.
      const asked: string[] = [];
      page.on("request", (request) => asked.push(new URL(request.url()).pathname));
      const place = page.getByText(/Кезектегі орны: \d+ ішінен \d+/).first();
      await waitFor(
        async () => {
          await page.reload();
          return (await place.isVisible()) ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500, what: "the place in the queue" },
      );
      await shows(page.getByText(t("application.live")));
      const before = await place.innerText();
      const streamed = page.waitForResponse((response) => new URL(response.url()).pathname.endsWith("/position/stream"));
      await page.reload();
      expect((await streamed).status()).toBe(200);
      const behind: Story = { ...story };
      await familyRegistered(system, behind, { firstName: "Дана", birthDate: "2016-05-02" });
      await certificateIssued(system, behind);
      await familyAppliesByApi(system, behind);
      await certificateFinanced(system, behind);
      await expect.poll(() => place.innerText(), { timeout: 10_000 }).not.toBe(before);
      expect(asked.filter((path) => /^\/family\/applications\/[0-9a-f-]{36}\/position\/stream$/.test(path)).length).toBeGreaterThan(0);
      expect(asked.filter((path) => /^\/family\/applications\/[0-9a-f-]{36}\/position$/.test(path))).toEqual([]);
      await person.look("queued-pushed-kk");
      // The provider's pages are not a family's.
      await page.goto("/provider");
      await shows(page.getByRole("heading", { level: 1, name: t("error.forbidden") }));
    } finally {
      await person.close();
    }
  });

  it("the provider reviews the first application from its office; the family accepts the offer and signs", async () => {
    const t = translator("ru");
    const provider = await Person.open(browser, "ru-provider", { size: DESKTOP, language: "ru", javaScript: true, baseURL });
    try {
      await signIn(provider.page, t, "АНО ДО «Робототехника для всех»");
      await shows(provider.page.getByRole("heading", { level: 1, name: t("provider.title") }));
      await shows(provider.page.getByRole("heading", { level: 3, name: /Сюжетова Мария/ }));
      await provider.look("office");
      const card = provider.page.locator(".card").filter({ has: provider.page.getByRole("heading", { name: /Сюжетова Мария/ }) });
      await card.getByRole("button", { name: t("provider.confirm") }).click();
      await expect.poll(() => provider.page.getByRole("status").innerText()).toBe(t("review.confirmed"));
      await provider.look("office-confirmed");
      await provider.page.getByRole("link", { name: t("registers.title") }).click();
      await shows(provider.page.getByRole("heading", { level: 1, name: t("registers.title") }));
      await provider.look("registers");
      // An advance of no amount is refused beside the field.
      await provider.page.getByRole("button", { name: t("advance.send") }).click();
      await expect.poll(() => provider.page.getByLabel(t("advance.amount"), { exact: true }).getAttribute("aria-invalid")).toBe("true");
      await provider.page.goto("/provider");
      await provider.page.getByRole("link", { name: t("roster.title") }).first().click();
      await shows(provider.page.getByRole("heading", { level: 1, name: t("roster.title") }));
      // A walk-in with a certificate number nobody holds: the service's sentence beside the form.
      await provider.page.getByLabel(t("walkin.certificate"), { exact: true }).fill("0000-00000000-0");
      await provider.page.getByLabel(t("walkin.birthDate"), { exact: true }).fill(yearsAgo(9));
      await provider.page.getByRole("button", { name: t("walkin.send") }).click();
      await shows(provider.page.getByRole("alert"));
      await provider.look("roster-walk-in-refused");
      // A family's page is not the provider's.
      await provider.page.goto("/family");
      await shows(provider.page.getByRole("heading", { level: 1, name: t("error.forbidden") }));
    } finally {
      await provider.close();
    }
    const family = ruFamily!;
    await family.page.goto(`/family/children/${russianChild}`);
    await shows(family.page.getByText(/Вам предложено место/));
    await family.look("offer");
    await family.page.getByRole("link", { name: t("contract.read") }).click();
    await shows(family.page.getByRole("heading", { level: 1, name: t("contract.title", { title: PROGRAM }) }));
    await family.look("contract");
    // Signing without ticking the agreement is refused beside the box; nothing is sent.
    await family.page.getByRole("button", { name: t("application.accept") }).click();
    await expect.poll(() => family.page.getByLabel(t("contract.agree"), { exact: true }).getAttribute("aria-invalid")).toBe("true");
    await family.look("contract-errors");
    await family.page.getByLabel(t("contract.agree"), { exact: true }).check();
    await family.page.getByRole("button", { name: t("application.accept") }).click();
    await expect.poll(() => family.page.getByRole("status").innerText()).toBe(t("application.enrolled"));
    await family.look("enrolled");
  });
  it("the provider marks the first lesson from a phone without JavaScript; the family notifies an absence in time and disputes the mark", async () => {
    const t = translator("ru");
    const { attendance } = system.services;
    const groupId = known(story, "groupId");
    // Attendance heard of the group and the enrollment: the first two lessons with the child.
    let month = firstLessonMonth();
    let lessons: { date: string; start: string; roster: string[] }[] = [];
    for (let tries = 0; lessons.length < 2 && tries < 3; tries++, month = nextMonth(month)) {
      const sheet = await attendance.waitForAnswer(
        "GET",
        `/groups/${groupId}/lessons?month=${month}`,
        { as: known(story, "provider") },
        (answer) => (answer.status === 200 && answer.json<{ lessons: { roster: string[] }[] }>().lessons.some((l) => l.roster.includes(russianChild)) ? answer : undefined),
        "attendance to hear of the group and the enrollment",
      );
      lessons = [...lessons, ...sheet.json<{ lessons: { date: string; start: string; roster: string[] }[] }>().lessons.filter((l) => l.roster.includes(russianChild))];
    }
    const [first, second] = lessons;
    expect(second).toBeDefined();
    markable = lessons;
    // Attendance's clock moves to the day after the first lesson (a development clock, as the system test does).
    await attendance.kill();
    await attendance.start({ CLOCK_OFFSET_DAYS: String(daysUntil(first!.date) + 1) });

    const provider = await Person.open(browser, "ru-provider-phone", { size: PHONE, language: "ru", javaScript: false, baseURL });
    try {
      const { page } = provider;
      await signIn(page, t, "АНО ДО «Робототехника для всех»");
      await page.getByRole("link", { name: `${t("attendance.open")}: ${t("program.group", { n: 1 })}` }).click();
      await shows(page.getByRole("heading", { level: 1 }));
      await page.goto(`/provider/groups/${groupId}/lessons?month=${first!.date.slice(0, 7)}`);
      await provider.look("attendance-month");
      await page.getByRole("link", { name: new RegExp(`^${t("attendance.lesson", { date: ".+", start: first!.start, end: ".+" })}$`) }).first().click();
      await shows(page.getByRole("group", { name: /Сюжетова Мария/ }));
      await provider.look("attendance-lesson");
      await page.getByRole("group", { name: /Сюжетова Мария/ }).getByLabel(t("attendance.present"), { exact: true }).check();
      await page.getByRole("button", { name: t("attendance.save") }).click();
      await expect.poll(() => page.getByRole("status").innerText()).toBe(t("attendance.saved"));
      await expect.poll(() => page.getByRole("row", { name: /Сюжетова Мария/ }).innerText()).toContain(t("attendance.present"));
      await provider.look("attendance-marked");
    } finally {
      await provider.close();
    }

    const family = ruFamily!;
    await family.page.goto(`/family/children/${russianChild}/absence`);
    await family.look("absence");
    // Bad input: the last day before the first.
    await family.page.getByLabel(t("absence.from"), { exact: true }).fill(second!.date);
    await family.page.getByLabel(t("absence.to"), { exact: true }).fill(first!.date);
    await family.page.getByRole("button", { name: t("absence.send") }).click();
    await shows(family.page.getByRole("alert"));
    await family.look("absence-errors");
    await family.page.getByLabel(t("absence.to"), { exact: true }).fill(second!.date);
    await family.page.getByRole("button", { name: t("absence.send") }).click();
    await expect.poll(() => family.page.getByRole("status").innerText()).toBe(t("absence.onTime"));
    await family.look("absence-sent");

    // The family disputes the first lesson's mark (the child was not there, it says), from the month's marks.
    await family.page.goto(`/family/children/${russianChild}?month=${first!.date.slice(0, 7)}#marks`);
    const review = family.page.getByRole("combobox", { name: /^Ваш ответ о занятии/ }).first();
    await shows(review);
    await family.look("marks");
    await review.selectOption("dispute");
    await family.page.getByLabel(t("markReview.note"), { exact: true }).fill("Мария болела и не приходила");
    await family.page.getByRole("button", { name: t("markReview.send") }).click();
    await expect.poll(() => family.page.getByRole("status").innerText()).toBe(t("markReview.done"));
    await expect.poll(() => review.locator("option:checked").innerText()).toBe(t("markReview.disputed"));
    await family.look("marks-disputed");
  });

  it("the provider marks a lesson long past and reads the signal raised about its group, without other providers' or the municipality's notes", async () => {
    const t = translator("ru");
    const { attendance } = system.services;
    const second = markable[1]!;
    // The municipality's rules: a mark entered over a day late is late, one such mark is a bulk late entry.
    const year = second.date.slice(0, 4);
    const rulesUrl = `/municipalities/${known(story, "municipalityId")}/years/${year}/rules`;
    const rules = await attendance.call("GET", rulesUrl, { as: known(story, "municipality") });
    expect(rules.status, rules.body).toBe(200);
    const set = await attendance.call("PUT", rulesUrl, { as: known(story, "municipality"), body: { ...rules.json<Record<string, unknown>>(), lateEntryDays: 1, bulkLateMarks: 1 } });
    expect(set.status, set.body).toBe(200);
    // Two days after the second lesson (attendance's development clock).
    await attendance.kill();
    await attendance.start({ CLOCK_OFFSET_DAYS: String(daysUntil(second.date) + 2) });

    const provider = await Person.open(browser, "ru-provider-phone", { size: PHONE, language: "ru", javaScript: false, baseURL });
    try {
      const { page } = provider;
      await signIn(page, t, "АНО ДО «Робототехника для всех»");
      await page.goto(`/provider/groups/${known(story, "groupId")}/lessons/${second.date}T${second.start}`);
      await page.getByRole("group", { name: /Сюжетова Мария/ }).getByLabel(t("attendance.present"), { exact: true }).check();
      await page.getByRole("button", { name: t("attendance.save") }).click();
      await expect.poll(() => page.getByRole("status").innerText()).toBe(t("attendance.saved"));
      await page.goto("/provider");
      await page.getByRole("link", { name: t("signals.title") }).click();
      await shows(page.getByRole("heading", { level: 2, name: t("signals.kind.bulk_late_entry") }));
      await expect.poll(() => page.locator(".card").filter({ hasText: t("signals.kind.bulk_late_entry") }).innerText()).toContain(t("signals.open"));
      await provider.look("signals");
    } finally {
      await provider.close();
    }
  });

  it("the provider creates a program in Kazakh at desktop width, adds a group and publishes it; the family moves its child there without submitting anything again; the provider withdraws it", async () => {
    const kk = translator("kk");
    const ru = translator("ru");
    const title = `Шахматы ${documentNumber().slice(0, 4)}`;
    const day = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
    const provider = await Person.open(browser, "kk-provider-desktop", { size: DESKTOP, language: "kk", javaScript: true, baseURL });
    let programUrl: string | undefined;
    try {
      const { page } = provider;
      await signIn(page, kk, "АНО ДО «Робототехника для всех»");
      await page.getByRole("link", { name: kk("edit.newProgram") }).click();
      await shows(page.getByRole("heading", { level: 1, name: kk("edit.newProgram") }));
      await provider.look("program-new");
      // Bad input: no title, the ages the wrong way round.
      await page.getByLabel(kk("edit.ageMin"), { exact: true }).fill("12");
      await page.getByLabel(kk("edit.ageMax"), { exact: true }).fill("7");
      await page.getByRole("button", { name: kk("edit.save") }).click();
      await shows(page.getByRole("alert"));
      await expect.poll(() => page.getByLabel(kk("edit.title"), { exact: true }).getAttribute("aria-invalid")).toBe("true");
      await provider.look("program-new-errors");
      await page.getByLabel(kk("edit.title"), { exact: true }).fill(title);
      await page.getByLabel(kk("edit.description"), { exact: true }).fill("Шахматы для начинающих: дебюты, тактика, турниры.");
      await page.getByLabel(kk("edit.ageMin"), { exact: true }).fill("7");
      await page.getByLabel(kk("edit.ageMax"), { exact: true }).fill("12");
      await page.getByLabel(kk("edit.totalHours"), { exact: true }).fill("72");
      await page.getByLabel(kk("edit.weeklyHours"), { exact: true }).fill("2");
      await page.getByLabel(kk("edit.price", { currency: "RUB" }), { exact: true }).fill("250,50");
      await page.getByLabel(kk("edit.certNumber"), { exact: true }).fill("НОК-11-2026-042");
      await page.getByLabel(kk("edit.certDate"), { exact: true }).fill(day(-30));
      await page.getByLabel(kk("edit.certExpiry"), { exact: true }).fill(day(365));
      await page.getByLabel(kk("edit.addressText"), { exact: true }).fill("Сыктывкар, ул. Первомайская, 70");
      await page.getByLabel(kk("edit.latitude"), { exact: true }).fill("61,67");
      await page.getByLabel(kk("edit.longitude"), { exact: true }).fill("50,83");
      await page.getByLabel(kk("edit.teacherName"), { exact: true }).fill("Петров И. В.");
      await page.getByLabel(kk("edit.teacherQualification"), { exact: true }).fill("педагог дополнительного образования");
      await page.getByRole("button", { name: kk("edit.save") }).click();
      await expect.poll(() => page.getByRole("status").innerText()).toBe(kk("edit.saved"));
      await shows(page.getByText(kk("program.status.draft"), { exact: true }));
      programUrl = new URL(page.url()).pathname;
      await provider.look("program-draft");
      // A group without a weekly slot is refused beside the first slot; then one on Mondays.
      await page.getByLabel(kk("edit.capacity"), { exact: true }).fill("10");
      await page.getByLabel(kk("edit.startsOn"), { exact: true }).fill(day(14));
      await page.getByLabel(kk("edit.endsOn"), { exact: true }).fill(day(200));
      await page.getByRole("button", { name: kk("edit.addGroup") }).click();
      await shows(page.getByRole("alert"));
      await provider.look("group-errors");
      const slot = page.getByRole("group", { name: kk("edit.slot", { n: 1 }) });
      await slot.getByLabel(kk("edit.weekday"), { exact: true }).selectOption("1");
      await slot.getByLabel(kk("edit.start"), { exact: true }).fill("17:00");
      await slot.getByLabel(kk("edit.end"), { exact: true }).fill("18:30");
      await page.getByRole("button", { name: kk("edit.addGroup") }).click();
      await expect.poll(() => page.getByRole("status").innerText()).toBe(kk("edit.groupAdded"));
      await page.getByRole("button", { name: kk("edit.publish") }).click();
      await expect.poll(() => page.getByRole("status").innerText()).toBe(kk("edit.published"));
      await provider.look("program-published");
    } finally {
      await provider.close();
    }

    // The Russian family moves its enrolled child: the navigator carries the move to the program's page.
    const family = ruFamily!;
    const { page } = family;
    await page.goto(`/family/children/${russianChild}`);
    await page.getByRole("link", { name: ru("transfer.start") }).click();
    await expect.poll(() => page.getByRole("status").innerText()).toBe(ru("transfer.choose"));
    await waitFor(
      async () => {
        await page.getByLabel(ru("search.q"), { exact: true }).fill(title);
        await page.getByRole("button", { name: ru("search.submit") }).click();
        return (await page.getByRole("link", { name: title }).isVisible()) ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: "the published program in the navigator" },
    );
    await family.look("transfer-search");
    await page.getByRole("link", { name: title }).click();
    await family.look("transfer-program");
    await page.getByRole("button", { name: ru("transfer.here") }).click();
    await expect.poll(() => page.getByRole("status").innerText()).toBe(ru("transfer.done"));
    await shows(page.getByRole("link", { name: ru("application.group", { title }) }));
    await family.look("transfer-applied");

    // The provider withdraws the program: its group closes.
    const again = await Person.open(browser, "kk-provider-desktop", { size: DESKTOP, language: "kk", javaScript: true, baseURL });
    try {
      await signIn(again.page, kk, "АНО ДО «Робототехника для всех»");
      await again.page.goto(programUrl);
      await again.page.getByText(kk("edit.withdraw"), { exact: true }).first().click();
      await again.page.getByRole("button", { name: kk("edit.withdraw") }).click();
      await expect.poll(() => again.page.getByRole("status").innerText()).toBe(kk("edit.withdrawn"));
      await shows(again.page.getByText(kk("edit.groupClosed"), { exact: true }));
      await again.look("program-withdrawn");
    } finally {
      await again.close();
    }
  });

  it("an operator finds the family and verifies its category proof from the desk; the child's place in the queue moves up", async () => {
    const t = translator("ru");
    const { catalogue, enrollment, registry } = system.services;
    const day = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
    // Two families queue in a new group of the story's program (through the APIs: their own pages are tested above).
    const group = await catalogue.call("POST", `/programs/${known(story, "programId")}/groups`, {
      as: known(story, "provider"),
      body: { capacity: 5, schedule: { timeZone: story.timeZone, slots: [{ weekday: 5, start: "17:00", end: "18:00" }] }, startsOn: day(20), endsOn: day(200) },
    });
    expect(group.status, group.body).toBe(201);
    const families: Story[] = [];
    for (const [firstName, birthDate] of [["Вера", "2016-03-11"], ["Зоя", "2017-08-23"]] as const) {
      const family: Story = { ...story, groupId: group.json<{ id: string }>().id };
      await familyRegistered(system, family, { firstName, birthDate });
      await certificateIssued(system, family);
      await familyAppliesByApi(system, family);
      await certificateFinanced(system, family);
      families.push(family);
    }
    const [first, second] = families as [Story, Story];
    const positionOf = async (family: Story) =>
      (await enrollment.call("GET", `/applications/${known(family, "applicationId")}/position`, { as: known(family, "guardian") })).json<{ position: number }>().position;
    expect(await positionOf(second)).toBe(2);
    // The second family claims a category with the social-protection office's certificate; it waits for the office.
    const proofNumber = `МС-${documentNumber().slice(0, 6)}`;
    const claimed = await registry.call("PUT", `/children/${known(second, "childId")}/categories`, {
      as: known(second, "guardian"),
      body: { categories: [{ code: "low_income", proof: { kind: "справка о признании семьи малоимущей", number: proofNumber, issuer: "Отдел социальной защиты населения", issuedOn: day(-30) } }] },
    });
    expect(claimed.status, claimed.body).toBe(200);

    const operator = await Person.open(browser, "ru-operator", { size: DESKTOP, language: "ru", javaScript: true, baseURL });
    try {
      const { page } = operator;
      await signIn(page, t, `${t("signIn.operator")} (${MUNICIPALITY})`);
      await shows(page.getByRole("heading", { level: 1, name: t("office.title") }));
      await operator.look("office");
      // Finding the family: first without a basis (refused beside it), then as a personal visit.
      await page.getByRole("link", { name: t("office.find") }).click();
      await page.getByLabel(t("office.name"), { exact: true }).fill("Сюжетова Зоя");
      await page.getByRole("button", { name: t("office.search") }).click();
      await expect.poll(() => page.getByLabel(t("office.basisKind"), { exact: true }).getAttribute("aria-invalid")).toBe("true");
      await operator.look("office-find-errors");
      await page.getByLabel(t("office.basisKind"), { exact: true }).selectOption("in_person_visit");
      await page.getByRole("button", { name: t("office.search") }).click();
      await shows(page.getByRole("heading", { level: 2, name: /Найдено детей: \d+/ }));
      await operator.look("office-found");
      // The proof, checked and verified.
      await page.getByRole("link", { name: t("nav.office") }).click();
      await page.getByRole("link", { name: t("office.claims") }).click();
      const card = page.locator(".card").filter({ hasText: proofNumber });
      await shows(card);
      await operator.look("office-claims");
      await card.getByRole("button", { name: t("office.verify") }).click();
      const refused = page.locator(".card").filter({ hasText: proofNumber });
      await expect.poll(() => refused.getByLabel(t("office.basisKind"), { exact: true }).getAttribute("aria-invalid")).toBe("true");
      await refused.getByLabel(t("office.basisKind"), { exact: true }).selectOption("written_request");
      await refused.getByLabel(t("office.ref"), { exact: true }).fill("ВХ-2026/117");
      await refused.getByRole("button", { name: t("office.verify") }).click();
      await expect.poll(() => page.getByRole("status").innerText()).toBe(t("office.verified"));
      await operator.look("office-verified");
    } finally {
      await operator.close();
    }
    // The verified category ranks the second child first (enrollment heard of it from the registry's event).
    await waitFor(async () => ((await positionOf(second)) === 1 ? true : undefined), { timeoutMs: 30_000, intervalMs: 300, what: "the category to rank the second child first" });
    expect(await positionOf(first)).toBe(2);

    // The father registers the same child at another desk, with another document: the registry holds
    // his certificate application as a near-duplicate; the operator compares the two records side by
    // side and merges them (no second certificate; the father becomes the child's guardian).
    const father: Story = { ...story };
    await familyRegistered(system, father, { firstName: "Зоя", birthDate: "2017-08-23" });
    const held = await registry.call("POST", "/certificates", { as: known(father, "guardian"), body: { childId: known(father, "childId") } });
    expect(held.status, held.body).toBe(202);
    const desk = await Person.open(browser, "ru-operator-phone", { size: PHONE, language: "ru", javaScript: false, baseURL });
    try {
      const { page } = desk;
      await signIn(page, t, `${t("signIn.operator")} (${MUNICIPALITY})`);
      await page.getByRole("link", { name: t("office.duplicates") }).click();
      const pair = page.locator("article.pair").filter({ hasText: "Сюжетова Зоя" });
      await shows(pair.getByRole("heading", { level: 3, name: t("office.certifiedRecord") }));
      await desk.look("office-duplicates");
      // No decision chosen: refused beside the choice.
      await pair.getByRole("button", { name: t("office.decide") }).click();
      await shows(page.getByRole("alert"));
      await desk.look("office-duplicates-errors");
      await page.locator("article.pair").filter({ hasText: "Сюжетова Зоя" }).getByLabel(t("office.decision.merge"), { exact: true }).check();
      await page.locator("article.pair").filter({ hasText: "Сюжетова Зоя" }).getByLabel(t("office.comment"), { exact: true }).fill("тот же ребёнок: свидетельство о рождении сверено");
      await page.locator("article.pair").filter({ hasText: "Сюжетова Зоя" }).getByRole("button", { name: t("office.decide") }).click();
      await expect.poll(() => page.getByRole("status").innerText()).toBe(t("office.decided.merge"));
      await desk.look("office-merged");
    } finally {
      await desk.close();
    }
    const child = (await registry.call("GET", `/children/${known(second, "childId")}`, { as: known(second, "guardian") })).json<{ guardianIds: string[] }>();
    expect(child.guardianIds).toContain(known(father, "guardianId"));
  });

  it("a family in Kazakh on a phone without JavaScript ranks its choices in an allocation campaign, reads a sentence for each choice after the draw and checks its lottery number", async () => {
    const t = translator("kk");
    const { catalogue, enrollment } = system.services;
    const day = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
    // Two new groups of the story's program (no one waits in them), in a campaign whose window closes in a minute.
    const groupIds: string[] = [];
    for (const weekday of [1, 3]) {
      const group = await catalogue.call("POST", `/programs/${known(story, "programId")}/groups`, {
        as: known(story, "provider"),
        body: { capacity: 1, schedule: { timeZone: story.timeZone, slots: [{ weekday, start: "10:00", end: "11:30" }] }, startsOn: day(20), endsOn: day(200) },
      });
      expect(group.status, group.body).toBe(201);
      groupIds.push(group.json<{ id: string }>().id);
    }
    const closesAt = new Date(Date.now() + 60_000);
    const announced = await enrollment.waitForAnswer(
      "POST",
      "/campaigns",
      () => ({
        as: known(story, "municipality"),
        headers: { "idempotency-key": randomUUID() },
        body: { municipalityId: known(story, "municipalityId"), name: "Көктемгі қабылдау", groupIds, maxChoices: 2, opensAt: new Date().toISOString(), closesAt: closesAt.toISOString() },
      }),
      (answer) => (answer.status === 201 ? answer : undefined),
      "enrollment to hear of the new groups and take the campaign",
    );
    const campaignId = announced.json<{ id: string }>().id;

    const person = await Person.open(browser, "kk-campaign-phone", { size: PHONE, language: "kk", javaScript: false, baseURL });
    try {
      const { page } = person;
      await signIn(page, t, `${t("signIn.newFamily")} (${MUNICIPALITY})`);
      await familyRegisters(person, t, "Жеребеев");
      await page.goto("/family");
      const childId = await childWithCertificate(person, t, "Айгерім");
      const first = page.getByLabel(t("campaign.choice", { n: 1 }), { exact: true });
      const second = page.getByLabel(t("campaign.choice", { n: 2 }), { exact: true });
      // The campaign on the child's page; the choices taken once enrollment has heard of the certificate.
      await waitFor(
        async () => {
          await page.goto(`/family/children/${childId}`);
          await page.getByRole("link", { name: "Көктемгі қабылдау" }).click();
          await first.selectOption(groupIds[0]!);
          await second.selectOption(groupIds[1]!);
          await page.getByRole("button", { name: t("campaign.save") }).click();
          return (await page.getByRole("status").isVisible()) ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500, what: "the choices taken" },
      );
      await expect.poll(() => page.getByRole("status").innerText()).toBe(t("campaign.saved"));
      await person.look("campaign-ranked");
      // Bad input: one group ranked twice; refused beside the second choice, and nothing changed.
      await second.selectOption(groupIds[0]!);
      await page.getByRole("button", { name: t("campaign.save") }).click();
      await expect.poll(() => second.getAttribute("aria-invalid")).toBe("true");
      await person.look("campaign-errors");
      await page.goto(`/family/campaigns/${campaignId}/children/${childId}`);
      await expect.poll(() => second.inputValue()).toBe(groupIds[1]);

      // The window closes; the municipality draws (its own pages are part 2's).
      await enrollment.waitForAnswer(
        "POST",
        `/campaigns/${campaignId}/draw`,
        { as: known(story, "municipality") },
        (answer) => (answer.status === 200 && answer.json<{ phase: string }>().phase === "drawn" ? answer : undefined),
        "the window to close and the draw to run",
        120_000,
      );
      await page.goto(`/family/campaigns/${campaignId}/children/${childId}`);
      await shows(page.getByRole("heading", { level: 2, name: t("campaign.result") }));
      await expect.poll(() => page.locator("ol > li").count()).toBe(2);
      await expect.poll(() => page.locator("p.notice").innerText()).toBe(t("campaign.lotteryMatches"));
      await person.look("campaign-result");
      await page.getByRole("link", { name: t("campaign.public") }).click();
      await expect.poll(() => page.locator("p.notice").innerText()).toBe(t("campaign.seedMatches"));
      await person.look("campaign-public");
    } finally {
      await person.close();
    }
  });
});
