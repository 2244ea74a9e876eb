// The browser of the portal's tests: Debian's Chromium (deploy/local/chromium installs it) driven
// by playwright-core, with the flags the machines allow. Every page a journey reaches is
// photographed at phone and desktop width into one folder, and checked with axe-core.
import { mkdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from "playwright-core";
import { expect } from "vitest";

export const CHROMIUM = "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];

export const PHONE = { width: 360, height: 780 };
export const DESKTOP = { width: 1280, height: 900 };

/** Where the screenshots go: the folder the test prints, for review. */
export const SCREENSHOTS = fileURLToPath(new URL("../../.local/screenshots/portal/", import.meta.url));

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/** Wait, as a person would, for `locator` to be on screen (playwright-core has no `expect`: vitest's polls the rest). */
export async function shows(locator: Locator, timeoutMs = 10_000): Promise<void> {
  await locator.first().waitFor({ state: "visible", timeout: timeoutMs });
}

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  try {
    return await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  } catch (error) {
    throw new Error(`Chromium did not start from ${CHROMIUM}: run bash deploy/local/chromium (npm test does)`, { cause: error });
  }
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * A person at one size, in one language, with or without JavaScript. `look` is called on every
 * page the journey reaches: it photographs the page at both widths and runs axe-core on it.
 */
export class Person {
  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    private readonly browser: Browser,
    private readonly label: string,
    private readonly size: typeof PHONE,
  ) {}

  static async open(browser: Browser, label: string, options: { size: typeof PHONE; language: "ru" | "kk"; javaScript: boolean; baseURL: string }): Promise<Person> {
    const context = await browser.newContext({
      viewport: options.size,
      javaScriptEnabled: options.javaScript,
      baseURL: options.baseURL,
      locale: options.language === "kk" ? "kk-KZ" : "ru-RU",
      extraHTTPHeaders: { "accept-language": options.language },
    });
    const page = await context.newPage();
    return new Person(context, page, browser, label, options.size);
  }

  /** Photograph the page at both widths (`<label>-<name>-phone.png`, `-desktop.png`) and check it with axe-core. */
  async look(name: string): Promise<void> {
    const page = this.page;
    await expect.poll(() => page.locator("body").textContent()).not.toMatch(/at .+\.ts:\d+|Error: |stack/i);
    const other = this.size === PHONE ? DESKTOP : PHONE;
    const shot = (size: typeof PHONE) => `${SCREENSHOTS}${this.label}-${name}-${size === PHONE ? "phone" : "desktop"}.png`;
    await page.screenshot({ path: shot(this.size), fullPage: true });
    await page.setViewportSize(other);
    await page.screenshot({ path: shot(other), fullPage: true });
    await page.setViewportSize(this.size);
    // Nothing wider than a phone: a full-page photograph is as wide as the page's widest line
    // (read from the PNG's header, which needs no script in the page, with or without JavaScript).
    const phoneWidth = (await readFile(shot(PHONE))).readUInt32BE(16);
    expect(phoneWidth, `${name} (${page.url()}) is wider than a ${PHONE.width} px phone`).toBe(PHONE.width);
    const violations = await this.axe();
    const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(serious, `axe-core on ${name} (${page.url()}): ${JSON.stringify(serious)}`).toEqual([]);
  }

  /**
   * axe-core on the page as drawn. A page without JavaScript cannot run it, so the same HTML is
   * drawn in a JavaScript page of the same origin (its style sheet loads as it does for the person).
   */
  async axe(): Promise<AxeViolation[]> {
    const content = await this.page.content();
    const context = await this.browser.newContext({ viewport: this.size, bypassCSP: true });
    try {
      const page = await context.newPage();
      await page.goto(new URL("/assets/portal.css", this.page.url()).href);
      await page.setContent(content, { waitUntil: "load" });
      await page.evaluate(AXE_SOURCE);
      return await page.evaluate(async () => {
        // Runs in the page: its globals are the browser's, typed here by hand (no DOM lib in this tsconfig).
        const scope = globalThis as unknown as { document: unknown; axe: { run: (context: unknown, options: object) => Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> } };
        const result = await scope.axe.run(scope.document, { resultTypes: ["violations"] });
        return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }));
      });
    } finally {
      await context.close();
    }
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}

/** Sign in through the development sign-in page as the person its button names (`<signIn.as>: <who>`). */
export async function signIn(page: Page, t: (key: "signIn.as") => string, who: string): Promise<void> {
  await page.goto("/sign-in");
  await page.getByRole("button", { name: `${t("signIn.as")}: ${who}` }).click();
}
