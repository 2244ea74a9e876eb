import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runKruzhok } from "@kruzhok/testkit";
import { translator } from "../../services/portal/src/pages/texts";
import { badLinesOf, csvOf, generatedRows } from "../../services/registry/test/fixtures/child-import-file";
import { known, type Kruzhok, type Story } from "../system/story";
import { PHONE, Person, SCREENSHOTS, shows } from "./browser";
import { startPortalSystem, type PortalSystem } from "./portal-system";

// An operator imports 10,000 children from a CSV file on the office's page (issue #18), on a phone
// without JavaScript, against the real services: a post without a file is refused beside the
// field; the file's progress shows while the registry works (the registry is killed and restarted
// on the way: the import goes on and loses or doubles nothing); then the report lists the 3 %
// bad rows by line. The command line (issue 19's import) then imports the same file into the same
// municipality through the same API: nobody is registered twice, and its report of bad rows is the
// page's, line for line. Every page is photographed at both widths and checked with axe-core.

const MUNICIPALITY = "Городской округ Сюжетный";
const ROWS = 10_000;

let ps: PortalSystem;
let system: Kruzhok;
let story: Story;
let file = "";

interface Report {
  id: string;
  status: string;
  total: number;
  processed: number;
  created: number;
  present: number;
  bad: number;
  badRows: { line: number; field: string | null; rule: string; reason: string }[];
}

beforeAll(async () => {
  ps = await startPortalSystem("portal-office-import");
  system = ps.system;
  story = ps.story;
  file = join(await mkdtemp(join(tmpdir(), "kruzhok-office-import-")), "дети-2026.csv");
  await writeFile(file, csvOf(generatedRows(ROWS, 7_000_000)));
});

afterAll(async () => {
  await ps?.close();
});

describe(`an operator imports children from a CSV file (screenshots in ${SCREENSHOTS})`, () => {
  it("uploads 10,000 rows, watches the progress through a registry restart, reads the bad rows by line; the command line's report of the same file is the same", { timeout: 600_000 }, async () => {
    const t = translator("ru");
    const municipalityId = known(story, "municipalityId");
    const person = await Person.open(ps.browser, "office-import", { size: PHONE, language: "ru", javaScript: false, baseURL: ps.baseURL });
    const { page } = person;
    try {
      await page.goto("/sign-in");
      await page.getByRole("button", { name: `${t("signIn.as")}: ${t("signIn.operator")} (${MUNICIPALITY})` }).click();
      await shows(page.getByRole("heading", { level: 1, name: t("office.title") }));
      await page.getByRole("link", { name: t("office.import") }).click();
      await shows(page.getByRole("heading", { level: 1, name: t("office.import") }));
      await shows(page.getByRole("cell", { name: "guardianDocumentNumber" }));
      await person.look("form");

      // No file: refused beside the field, nothing sent.
      await page.getByRole("button", { name: t("imports.submit") }).click();
      await shows(page.getByText(t("imports.fileRequired")).first());
      await person.look("no-file");

      // The progress page reloads itself (a Refresh header: no script needed); for its photograph
      // it holds still, the header taken off on the way.
      const progressPage = /\/office\/imports\/[0-9a-f-]{36}/;
      await page.route(progressPage, async (route) => {
        const response = await route.fetch();
        const { refresh: _refresh, ...headers } = response.headers();
        await route.fulfill({ response, headers });
      });
      await page.getByLabel(t("imports.file")).setInputFiles(file);
      await page.getByRole("button", { name: t("imports.submit") }).click();
      await shows(page.getByText(t("imports.started")));
      const importId = /\/office\/imports\/([0-9a-f-]{36})/.exec(page.url())?.[1] ?? "";
      expect(importId).not.toBe("");
      const progress = page.getByRole("progressbar");
      await shows(progress);
      expect(Number(await progress.getAttribute("max"))).toBe(ROWS);
      await shows(page.getByText(/Загрузка идёт: обработано \d+ из 10000 строк \(\d+ %\)/));
      // While the file processes, the self-reloading page lists only the first bad rows.
      expect(await page.locator("table tbody tr").count()).toBeLessThanOrEqual(20);
      await person.look("progress");
      await page.unroute(progressPage);
      expect((await page.request.get(page.url())).headers().refresh).toBe("2");

      // The registry dies mid-import and comes back: its worker goes on where the rows wait.
      const operator = await system.as({ role: "operator", municipalityId });
      const read = async () => (await system.services.registry.call("GET", `/child-imports/${importId}?limit=10000`, { as: operator, headers: { "accept-language": "ru" } })).json<Report>();
      await expect.poll(async () => (await read()).processed, { timeout: 120_000, interval: 500 }).toBeGreaterThan(1_000);
      await system.crashAndRestart("registry");
      // The page reloads itself; one that landed while the registry was down says so, and a person reloads it.
      await page.goto(`/office/imports/${importId}`);
      await shows(page.getByText(t("imports.done", { total: ROWS })), 300_000);
      await shows(page.getByRole("heading", { level: 2, name: t("imports.badRows") }));
      const report = await read();
      expect(report).toMatchObject({ status: "done", total: ROWS, processed: ROWS, created: 9_700, present: 0, bad: 300 });
      const lines = badLinesOf(ROWS);
      expect(report.badRows.map(({ line, field }) => ({ line, field }))).toEqual(lines);
      // The page's table: every bad row, by line, with its column and reason in words.
      const rows = page.getByRole("table").last().locator("tbody tr");
      expect(await rows.count()).toBe(300);
      await expect.poll(() => rows.first().textContent()).toMatch(/^9Номер документа ребёнка \(documentNumber\)/);
      expect(await rows.first().textContent()).toContain("Номер документа не соответствует его виду");
      expect(await page.locator("dl.summary").textContent()).toMatch(/Зарегистрировано детей\s*9700/);
      await person.look("report");

      // Kazakh.
      await page.getByRole("link", { name: "Қазақша" }).click();
      await shows(page.getByText(translator("kk")("imports.done", { total: ROWS })));
      await person.look("report-kk");

      // The command line, the same file, the same municipality: nobody twice, the same bad rows.
      const run = await runKruzhok(["import", "children", file, "--municipality", municipalityId, "--json"], { env: { REGISTRY_URL: ps.url("registry") } });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain("10000/10000 100%");
      const again = JSON.parse(run.stdout) as Report;
      expect(again).toMatchObject({ status: "done", total: ROWS, created: 0, present: 9_700, bad: 300 });
      expect(again.badRows).toEqual(report.badRows);
    } finally {
      await person.close();
    }
  });
});
