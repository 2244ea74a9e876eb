import { randomInt, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localInputOf } from "../../services/portal/src/http/municipality-campaigns";
import { translator } from "../../services/portal/src/pages/texts";
import { certificateIssued, familyRegistered, known } from "../system/story";
import { DESKTOP, Person, PHONE, shows, signIn } from "./browser";
import { startPortalSystem, type PortalSystem } from "./portal-system";

// The municipality's administration in a real browser against the real services (issue #18).
// A campaign: the official signs in through the development sign-in, is refused a campaign
// without a name, groups or a sensible K (beside each field), announces one over the story's
// group and a new one whose window closes a minute later; three families rank their choices (the
// API, as their app does); the official watches the counts, is told in words that the draw waits
// for the close, draws after it, and reads the seed and the input's digest published, checked
// against the commitment, and the result; the public page shows families the same checks.
// Russian on a phone without JavaScript. A provider's application: the official, in Kazakh at
// desktop width with JavaScript, is refused a rejection without a reason and an approval before
// every check passed (each beside its field), approves, then suspends with a reason. Every page is
// photographed at both widths and checked with axe-core; none is wider than a 360 px phone.

const MUNICIPALITY = "Городской округ Сюжетный";

let portal: PortalSystem;

beforeAll(async () => {
  portal = await startPortalSystem("portal-municipality");
});
afterAll(async () => portal?.close());


/** The field (label, hint, error, input) labelled `label`. */
const fieldOf = (page: Page, label: string) => page.locator(".field").filter({ has: page.getByLabel(label, { exact: true }) });

describe("the municipality's administration", () => {
  it("a municipality draws a campaign", { timeout: 300_000 }, async () => {
    const { system, story, browser, baseURL } = portal;
    const { catalogue, enrollment } = system.services;
    const provider = known(story, "provider");
    const storyGroup = known(story, "groupId");
    // A second group of the story's program, on Saturdays, once enrollment has heard of it.
    const day = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
    const added = await catalogue.call("POST", `/programs/${known(story, "programId")}/groups`, {
      as: provider,
      body: { capacity: 1, schedule: { timeZone: story.timeZone, slots: [{ weekday: 6, start: "10:00", end: "11:30" }] }, startsOn: day(20), endsOn: day(200) },
    });
    expect(added.status, added.body).toBe(201);
    const saturday = added.json<{ id: string }>().id;
    await enrollment.waitForAnswer("GET", `/groups/${saturday}/queue`, { as: provider }, (a) => (a.status === 200 ? a : undefined), "enrollment to hear of the new group");

    // Three families with certificates, before the window opens (their certificates reach enrollment meanwhile).
    const families: { childId: string; guardian: string }[] = [];
    for (const firstName of ["Анна", "Борис", "Вера"]) {
      await familyRegistered(system, story, { firstName });
      await certificateIssued(system, story);
      families.push({ childId: known(story, "childId"), guardian: known(story, "guardian") });
    }

    const t = translator("ru");
    const official = await Person.open(browser, "municipality-campaign", { size: PHONE, language: "ru", javaScript: false, baseURL });
    try {
      const { page } = official;
      await signIn(page, t, `${t("signIn.municipality")} (${MUNICIPALITY})`);
      await shows(page.getByRole("heading", { level: 1, name: t("municipality.title") }));
      await official.look("home");
      await page.getByRole("link", { name: t("municipality.campaigns"), exact: true }).click();
      await shows(page.getByRole("heading", { level: 1, name: t("municipality.campaigns") }));
      await official.look("campaigns");

      // Bad input: no name, no group, K of 0; refused beside each field, nothing announced.
      await page.getByLabel(t("municipality.campaigns.maxChoices"), { exact: true }).fill("0");
      await page.getByRole("button", { name: t("municipality.campaigns.announce") }).click();
      await expect.poll(() => page.getByRole("alert").innerText()).toContain(t("form.errors"));
      await shows(fieldOf(page, t("municipality.campaigns.name")).getByText(t("municipality.campaigns.nameRequired")));
      await shows(fieldOf(page, t("municipality.campaigns.maxChoices")).getByText(t("municipality.campaigns.maxChoicesInvalid")));
      await shows(page.getByRole("group", { name: t("municipality.campaigns.groups") }).getByText(t("municipality.campaigns.groupsRequired")));
      await official.look("campaigns-errors");
      expect((await enrollment.call("GET", `/campaigns?municipalityId=${known(story, "municipalityId")}`, {})).json<unknown[]>()).toEqual([]);

      // The window opens now and closes a minute later (in the municipality's local time, to the second).
      let closesAt = new Date(Date.now() + 60_000);
      // A time on a whole minute loses its seconds in the input; a second later keeps them.
      if (closesAt.getUTCSeconds() === 0) closesAt = new Date(closesAt.getTime() + 1_000);
      await page.getByLabel(t("municipality.campaigns.name"), { exact: true }).fill("Зимний набор");
      await page.locator(`input[name="groupIds"][value="${storyGroup}"]`).check();
      await page.locator(`input[name="groupIds"][value="${saturday}"]`).check();
      await page.getByLabel(t("municipality.campaigns.maxChoices"), { exact: true }).fill("2");
      await page.getByLabel(t("municipality.campaigns.closesAt"), { exact: true }).fill(localInputOf(closesAt, story.timeZone));
      await page.getByRole("button", { name: t("municipality.campaigns.announce") }).click();
      await expect.poll(() => page.getByRole("status").innerText()).toBe(t("municipality.campaigns.announced"));
      const campaignId = new URL(page.url()).pathname.split("/").pop()!;

      // The families rank their choices while the window is open: two want Tuesdays first, one Saturdays.
      const ranks = [[storyGroup, saturday], [saturday, storyGroup], [storyGroup]];
      for (const [i, family] of families.entries()) {
        await enrollment.waitForAnswer(
          "PUT",
          `/campaigns/${campaignId}/children/${family.childId}/choices`,
          { as: family.guardian, body: { groupIds: ranks[i] } },
          (a) => (a.status === 200 ? a : undefined),
          "enrollment to hear of the child's certificate",
        );
      }
      await page.goto(`/municipality/campaigns/${campaignId}`);
      await expect.poll(() => page.locator("main").innerText()).toContain(t("municipality.campaign.children", { count: 3 }));
      // Per group, in the campaign's order: how many ranked it, and how many first.
      const groups = page.locator("ul.tally > li");
      await expect.poll(() => groups.count()).toBe(2);
      await expect.poll(() => groups.nth(0).locator("dd").allInnerTexts()).toEqual(["3", "2"]);
      await expect.poll(() => groups.nth(1).locator("dd").allInnerTexts()).toEqual(["2", "1"]);
      await official.look("campaign-open");

      // Too soon: the draw waits for the close, said in words.
      await page.getByRole("button", { name: t("municipality.campaign.draw") }).click();
      await expect.poll(() => page.getByRole("alert").innerText()).toContain(t("municipality.campaign.notClosed", { to: "" }).split(",")[0]!);
      await official.look("campaign-too-soon");

      // The window closes; the official draws.
      await sleep(Math.max(0, closesAt.getTime() + 1_500 - Date.now()));
      await page.goto(`/municipality/campaigns/${campaignId}`);
      const draw = page.getByRole("button", { name: t("municipality.campaign.draw") });
      // The sweep may have drawn it already: then there is no button, and the page shows the same.
      if (await draw.isVisible()) {
        await draw.click();
        await expect.poll(() => page.getByRole("status").innerText()).toBe(t("municipality.campaign.drawn"));
      }
      await shows(page.getByRole("heading", { level: 2, name: t("municipality.campaign.result") }));
      await expect.poll(() => page.locator("main").innerText()).toContain(t("campaign.outcome", { children: 3, placed: 3, unplaced: 0 }));
      await expect.poll(() => page.getByText(t("campaign.seedMatches")).count()).toBe(1);
      await expect.poll(() => page.getByText(t("municipality.campaign.inputMatches")).count()).toBe(1);
      const published = (await enrollment.call("GET", `/campaigns/${campaignId}`, {})).json<{ seed: string; inputDigest: string }>();
      await shows(page.getByText(published.seed, { exact: true }));
      await shows(page.getByText(published.inputDigest, { exact: true }));
      await official.look("campaign-drawn");

      // What families check: the same seed on the public page.
      await page.getByRole("link", { name: t("municipality.campaign.public") }).click();
      await expect.poll(() => page.locator("p.notice").innerText()).toBe(t("campaign.seedMatches"));
      await official.look("campaign-public");
    } finally {
      await official.close();
    }
  });

  it("a municipality vets a provider's application: checks, approval, suspension with a reason", { timeout: 180_000 }, async () => {
    const { system, story, browser, baseURL } = portal;
    const { registry } = system.services;
    const municipalityId = known(story, "municipalityId");
    const providerId = randomUUID();
    const name = "ИП Жаксыбекова А. Н.";
    const applied = await registry.call("POST", "/providers", {
      as: await system.as({ role: "provider", municipalityId, providerId }),
      body: { municipalityId, kind: "entrepreneur", name, taxId: String(100_000_000_000 + randomInt(900_000_000_000)), licence: { number: "Л035-11-2025-03", issuedOn: "2025-03-01" } },
    });
    expect(applied.status, applied.body).toBe(201);

    const t = translator("kk");
    const official = await Person.open(browser, "municipality-provider", { size: DESKTOP, language: "kk", javaScript: true, baseURL });
    try {
      const { page } = official;
      await signIn(page, t, `${t("signIn.municipality")} (${MUNICIPALITY})`);
      await page.getByRole("link", { name: t("municipality.providers"), exact: true }).click();
      await shows(page.getByRole("heading", { level: 2, name: t("municipality.providers.waiting", { count: 1 }) }));
      await official.look("providers");
      await page.getByRole("link", { name }).click();
      await shows(page.getByRole("heading", { level: 1, name }));
      await official.look("provider-applied");

      // A rejection without a reason: refused beside the reason, nothing changed.
      await page.getByRole("button", { name: t("municipality.provider.reject") }).click();
      await shows(fieldOf(page, t("municipality.provider.reason")).getByText(t("municipality.provider.reasonRequired")));
      await official.look("provider-reject-errors");

      // Two checks passed, one pending: the registry refuses the approval, said beside the checks.
      await page.getByLabel(t("municipality.provider.check.staff"), { exact: true }).selectOption("passed");
      await page.getByLabel(t("municipality.provider.check.premises"), { exact: true }).selectOption("passed");
      await page.getByRole("button", { name: t("municipality.provider.approve") }).click();
      await shows(page.getByRole("group", { name: t("municipality.provider.checks") }).getByText(t("municipality.provider.checksIncomplete")));
      await official.look("provider-approve-errors");
      expect((await registry.call("GET", `/providers/${providerId}`, { as: story.region })).json()).toMatchObject({ status: "applied", checks: { staff: "passed", premises: "passed", safety: "pending" } });

      await page.getByLabel(t("municipality.provider.check.safety"), { exact: true }).selectOption("passed");
      await page.getByRole("button", { name: t("municipality.provider.approve") }).click();
      await expect.poll(() => page.getByRole("status").innerText()).toBe(t("municipality.provider.done.approve"));
      await official.look("provider-approved");

      await page.getByLabel(t("municipality.provider.code"), { exact: true }).selectOption("complaint");
      await page.getByLabel(t("municipality.provider.reason"), { exact: true }).fill("Ата-аналардың шағымы: тексеру жүріп жатыр");
      await page.getByRole("button", { name: t("municipality.provider.suspend") }).click();
      await expect.poll(() => page.getByRole("status").innerText()).toBe(t("municipality.provider.done.suspend"));
      await shows(page.getByText("Ата-аналардың шағымы: тексеру жүріп жатыр"));
      await official.look("provider-suspended");
      expect((await registry.call("GET", `/providers/${providerId}`, { as: story.region })).json()).toMatchObject({ status: "suspended", suspendedReason: "Ата-аналардың шағымы: тексеру жүріп жатыр" });
    } finally {
      await official.close();
    }
  });
});
