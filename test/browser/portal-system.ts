// The services as processes over the real broker with the portal in front, for a browser test
// file of its own (each file its own databases, topics and key prefix: systemUnderTest's label).
// The story's municipality, approved provider, billing rules and published program are there;
// `statistics` adds the statistics service (the region's and ministry's dashboard).
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { inject } from "vitest";
import { systemUnderTest } from "@kruzhok/testkit";
import { billingRulesSet, municipalityWithRules, newStory, programPublished, providerApproved, storyServices, type Kruzhok, type Story } from "../system/story";
import { launchBrowser } from "./browser";

const portalMain = fileURLToPath(new URL("../../services/portal/src/main.ts", import.meta.url));

export interface PortalSystem {
  system: Kruzhok;
  story: Story;
  browser: Browser;
  /** The portal's address. */
  baseURL: string;
  /** A service's address (for what the test reads through the API to check a page's effect). */
  url(service: string): string;
  close(): Promise<void>;
}

const BACKENDS = ["registry", "catalogue", "enrollment", "payments", "attendance"] as const;

export async function startPortalSystem(label: string, options: { statistics?: boolean } = {}): Promise<PortalSystem> {
  const services = storyServices();
  const backends: string[] = [...BACKENDS, ...(options.statistics ? ["statistics"] : [])];
  const specs = Object.fromEntries(backends.map((name) => [name, services[name as keyof typeof services]]));
  const system = (await systemUnderTest(inject("infra"), label, { ...specs, portal: { main: portalMain } })) as unknown as Kruzhok;
  const all = system.services as unknown as Record<string, { port: number; start(env?: Record<string, string>): Promise<unknown> }>;
  const url = (name: string) => `http://127.0.0.1:${all[name]!.port}`;
  try {
    await system.start(...(backends as never[]));
    await all.portal!.start(Object.fromEntries(backends.map((name) => [`${name.toUpperCase()}_URL`, url(name)])));
    const story = await newStory(system);
    await municipalityWithRules(system, story);
    await providerApproved(system, story);
    await billingRulesSet(system, story);
    await programPublished(system, story);
    const browser = await launchBrowser();
    return {
      system,
      story,
      browser,
      baseURL: url("portal"),
      url,
      close: async () => {
        await browser.close();
        await system.cleanup();
      },
    };
  } catch (error) {
    await system.cleanup();
    throw error;
  }
}
