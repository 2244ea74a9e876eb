import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { translator } from "../../services/portal/src/pages/texts";
import { certificateIssued, familyRegistered, known } from "../system/story";
import { DESKTOP, Person, PHONE, shows, signIn } from "./browser";
import { startPortalSystem, type PortalSystem } from "./portal-system";

// The region's and the ministry's dashboard in a real browser against the real services, with
// statistics: a ministry watches the story's municipality's coverage go from suppressed (fewer
// than 10 children) to a number while this process (not the browser) issues certificates
// through the registry's API, the open page changing without a reload (ECharts charts drawn, the
// numbers from statistics' stream through the portal); the monthly report as a table, CSV and
// XLSX. A region official (in Kazakh, on a phone, without JavaScript) sees its region only, is
// offered no other, and is refused one named in the address. Every page is photographed at both
// widths and checked with axe-core.

const MUNICIPALITY = "Городской округ Сюжетный";

interface Cell {
  scope: string;
  municipalityId: string | null;
  period: string;
  measure: string;
  dims: Record<string, string>;
  value: number | null;
  suppressed: boolean;
}

let portal: PortalSystem;

beforeAll(async () => {
  portal = await startPortalSystem("portal-dashboard", { statistics: true });
});

afterAll(async () => {
  await portal?.close();
});

const FIRST_NAMES = ["Анна", "Борис", "Вера", "Глеб", "Дина", "Егор", "Жанна", "Зоя", "Илья", "Кира", "Лев", "Мира", "Нина", "Олег"];
let issued = 0;

/** `count` more children registered, each with a certificate, through the registry's API (this process, not the browser). */
async function certificatesIssued(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    // Each child its own name and birthday (the registry holds a near-duplicate for an operator),
    // all of them 10 this year: the 7-10 age band.
    issued += 1;
    await familyRegistered(portal.system, portal.story, { firstName: FIRST_NAMES[issued % FIRST_NAMES.length]!, birthDate: `${new Date().getUTCFullYear() - 10}-03-${String(issued).padStart(2, "0")}` });
    await certificateIssued(portal.system, portal.story);
  }
}

/** Statistics' own month cell of the story's municipality's certified children, once `accept` holds for it. */
async function certifiedCell(accept: (cell: Cell) => boolean, what: string): Promise<Cell> {
  const municipalityId = known(portal.story, "municipalityId");
  const answer = await portal.system.services.statistics.waitForAnswer(
    "GET",
    `/statistics/cells?municipalityId=${municipalityId}&period=month&measure=coverage.certified`,
    { as: portal.story.region },
    (a) => (a.status === 200 && a.json<{ cells: Cell[] }>().cells.some((c) => c.scope === "municipality" && accept(c)) ? a : undefined),
    what,
  );
  return answer.json<{ cells: Cell[] }>().cells.find((c) => c.scope === "municipality" && accept(c))!;
}


/** The coverage table's cell of a territory's row: 0 certified children, 1 their share, ... */
const coverageCell = (page: Page, row: string | RegExp, column: number) => page.locator("#t-coverage").getByRole("row", { name: row }).getByRole("cell").nth(column);

describe("the region's and the ministry's dashboard", () => {
  it("a ministry watches coverage change while certificates are issued in another process", async () => {
    const t = translator("ru");
    // A few children: counted, and suppressed (fewer than 10), never shown as their number or 0.
    await certificatesIssued(3);
    await certifiedCell((c) => c.suppressed, "statistics to count 3 certificates, suppressed");

    const person = await Person.open(portal.browser, "dashboard-ministry", { size: DESKTOP, language: "ru", javaScript: true, baseURL: portal.baseURL });
    try {
      const { page } = person;
      // The charts and the live numbers within the pages' policy (script-src 'self', no inline style), without a script error.
      const faults: string[] = [];
      page.on("console", (message) => {
        // The browser's own look for /favicon.ico (the portal has none) is not the page's.
        if (message.type() === "error" && !message.location().url.endsWith("/favicon.ico")) faults.push(`${message.text()} ${message.location().url}`);
      });
      page.on("pageerror", (error) => faults.push(error.message));
      await signIn(page, t, t("signIn.ministry"));
      // Every region first, each a row of its own; then the story's region, chosen with the form.
      await shows(page.getByRole("heading", { level: 1, name: t("dashboard.title") }));
      await shows(page.getByRole("link", { name: t("dashboard.region", { code: "11" }) }));
      await person.look("regions");
      await page.getByLabel(t("dashboard.chooseRegion")).selectOption("11");
      await page.getByRole("button", { name: t("dashboard.show") }).click();
      await page.waitForURL(/\/dashboard\?regionCode=11$/);
      const certified = coverageCell(page, new RegExp(MUNICIPALITY), 0);
      await expect.poll(() => certified.innerText()).toBe(t("dashboard.suppressed"));
      await expect.poll(() => coverageCell(page, new RegExp(MUNICIPALITY), 1).innerText()).toBe(t("dashboard.suppressed"));
      // The charts are drawn (a canvas each), and the stream is open (its snapshot heard).
      await expect.poll(() => page.locator("#dashboard .chart canvas").count()).toBeGreaterThanOrEqual(8);
      await shows(page.getByRole("status").filter({ hasText: t("dashboard.liveAt", { time: "" }).replace(/\.$/, "").trim() }));
      await person.look("region-suppressed");

      // A marker the page keeps only as long as it is not reloaded or left.
      await page.evaluate(() => {
        (globalThis as unknown as { notReloaded?: string }).notReloaded = "still here";
      });
      const address = page.url();
      await certificatesIssued(8);
      // Statistics hears of them over Kafka: it may publish 10 before 11.
      const issued = await certifiedCell((c) => c.value === 11, "statistics to publish 11 certified children");
      expect(issued.suppressed).toBe(false);

      await expect.poll(() => certified.innerText(), { timeout: 30_000 }).toBe("11");
      await expect.poll(() => coverageCell(page, new RegExp(MUNICIPALITY), 1).innerText()).toMatch(/^0,06\s?%$/);
      await expect.poll(() => coverageCell(page, t("dashboard.regionTotal", { code: "11" }), 0).innerText()).toBe("11");
      expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: string }).notReloaded)).toBe("still here");
      expect(page.url()).toBe(address);
      // The age band chart's table too: 11 children of 7-10, the other bands none.
      await expect.poll(() => page.locator("#t-ages").getByRole("row", { name: new RegExp(MUNICIPALITY) }).getByRole("cell").nth(1).innerText()).toBe("11");
      await person.look("region-live");
      expect(faults).toEqual([]);

      // The monthly report as of today: the table, then its CSV and XLSX as statistics makes them.
      await page.getByRole("link", { name: t("dashboard.reportLink") }).click();
      await shows(page.getByRole("heading", { level: 1, name: t("dashboard.report.title") }));
      await page.getByRole("button", { name: t("dashboard.report.build") }).click();
      await shows(page.getByRole("row", { name: new RegExp(`^${t("dashboard.measure.coverage.certified")}\\s`) }));
      const reportRow = page.getByRole("row", { name: new RegExp(`^${t("dashboard.measure.coverage.certified")}\\s`) });
      await expect.poll(() => reportRow.getByRole("cell").last().innerText()).toBe("11");
      await person.look("report");
      const csvHref = await page.getByRole("link", { name: t("dashboard.report.csv") }).getAttribute("href");
      const csv = await person.context.request.get(csvHref!);
      expect(csv.status()).toBe(200);
      expect(csv.headers()["content-type"]).toMatch(/^text\/csv/);
      const lines = (await csv.text()).trim().split("\r\n");
      expect(lines[0]).toBe("as_of,month,scope,region,municipality,measure,dims,value,suppressed");
      expect(lines.some((line) => line.endsWith(",region,11,,coverage.certified,,11,false"))).toBe(true);
      const xlsxHref = await page.getByRole("link", { name: t("dashboard.report.xlsx") }).getAttribute("href");
      const xlsx = await person.context.request.get(xlsxHref!);
      expect(xlsx.status()).toBe(200);
      expect(xlsx.headers()["content-disposition"]).toMatch(/^attachment; filename="indicators-region-11-\d{4}-\d{2}-\d{2}\.xlsx"$/);
      // A workbook (a zip), as statistics made it (its own test reads the cells).
      expect((await xlsx.body()).subarray(0, 2).toString("latin1")).toBe("PK");
    } finally {
      await person.close();
    }
  });

  it("a region official sees only its region, is offered no other, and is refused another", async () => {
    const t = translator("kk");
    const person = await Person.open(portal.browser, "dashboard-region", { size: PHONE, language: "kk", javaScript: false, baseURL: portal.baseURL });
    try {
      const { page } = person;
      await signIn(page, t, t("signIn.region", { code: "11" }));
      await shows(page.getByRole("heading", { level: 1, name: t("dashboard.title") }));
      await shows(page.getByText(t("dashboard.introRegion", { code: "11" })));
      // Without JavaScript the tables are the page: the municipality and its region, no region to pick.
      await shows(page.locator("#t-coverage").getByRole("rowheader", { name: MUNICIPALITY }));
      expect(await page.getByLabel(t("dashboard.chooseRegion")).count()).toBe(0);
      expect(await page.locator("#dashboard .chart:visible").count()).toBe(0);
      await person.look("region");

      // Another region named in the address: statistics refuses it, and the page says so.
      const refused = await page.goto("/dashboard?regionCode=77");
      expect(refused?.status()).toBe(403);
      await shows(page.getByRole("heading", { level: 1, name: t("dashboard.refused") }));
      await person.look("refused");
      const stream = await person.context.request.get("/dashboard/stream?regionCode=77&from=2026-01-01");
      expect(stream.status()).toBe(403);

      // The report: a date that is none is refused beside its field; then today's report.
      const bad = await page.goto("/dashboard/report?asOf=2026-02-30");
      expect(bad?.status()).toBe(400);
      await shows(page.locator(".field.has-error").filter({ has: page.getByLabel(t("dashboard.report.asOf")) }).getByText(t("dashboard.report.asOfInvalid")));
      await person.look("report-errors");
      await page.getByLabel(t("dashboard.report.asOf")).fill(new Date().toLocaleDateString("en-CA", { timeZone: portal.story.timeZone }));
      await page.getByRole("button", { name: t("dashboard.report.build") }).click();
      await shows(page.getByRole("row", { name: new RegExp(`^${t("dashboard.measure.money.budget")}\\s`) }));
      // Only the region's municipalities to choose from.
      const options = await page.getByLabel(t("dashboard.report.municipality")).locator("option").allInnerTexts();
      expect(options).toEqual([t("dashboard.report.wholeRegion"), MUNICIPALITY]);
      await person.look("report");
    } finally {
      await person.close();
    }
  });
});
