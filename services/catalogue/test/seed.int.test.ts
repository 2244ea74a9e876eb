import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MunicipalityCreated, ProviderApproved, ProviderSuspended } from "@kruzhok/contracts";
import { catalogueHarness, type CatalogueHarness } from "./fixtures/catalogue";

const script = fileURLToPath(new URL("../scripts/seed.ts", import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm")).href;

describe("demo seed", () => {
  let h: CatalogueHarness;
  const demo = [
    { code: "4101", name: "Петропавловск-Камчатский городской округ", timeZone: "Asia/Kamchatka", currency: "RUB" as const },
    { code: "1101", name: "Городской округ Сыктывкар", timeZone: "Europe/Moscow", currency: "RUB" as const },
    { code: "3501", name: "Город Караганда", timeZone: "Asia/Almaty", currency: "KZT" as const },
  ];
  beforeAll(async () => {
    h = await catalogueHarness("cat-seed");
    // What the registry's demo announces: three municipalities, approved providers, one suspended.
    for (const m of demo) {
      const municipalityId = randomUUID();
      await h.deliver(MunicipalityCreated, { municipalityId, aggregateId: municipalityId }, { municipalityId, code: m.code, name: m.name, regionCode: "00", timeZone: m.timeZone, currency: m.currency });
      for (let i = 0; i < 4; i++) {
        const providerId = randomUUID();
        const ref = { providerId, kind: "private" as const, name: `Провайдер ${m.code}-${i}` };
        await h.deliver(ProviderApproved, { municipalityId, aggregateId: providerId }, ref);
        if (i === 3) await h.deliver(ProviderSuspended, { municipalityId, aggregateId: providerId }, { ...ref, reason: "other" });
      }
    }
  });
  afterAll(async () => {
    await h.close();
  });

  const run = () =>
    promisify(execFile)(process.execPath, ["--import", tsx, script], {
      env: { PATH: process.env.PATH ?? "", DATABASE_URL: h.iso.infra.databaseUrl, SERVICE_DATABASE: `t_${h.iso.id}` },
    });
  const count = async (sql: string) => (await h.pool.query<{ n: number }>(sql)).rows[0]!.n;

  it("inserts about 2,000 programs in Russian and Kazakh with groups and their events, and a second run does nothing", async () => {
    const first = await run();
    expect(first.stdout).toMatch(/3 municipalities seeded: 2000 programs/);
    expect(await count("SELECT count(*)::int AS n FROM programs")).toBe(2000);
    const groups = await count("SELECT count(*)::int AS n FROM groups");
    expect(groups).toBeGreaterThan(2000);
    expect(await count("SELECT count(*)::int AS n FROM outbox WHERE type = 'catalogue.program.published'")).toBe(
      await count("SELECT count(*)::int AS n FROM programs WHERE status = 'published'"),
    );
    expect(await count("SELECT count(*)::int AS n FROM outbox WHERE type = 'catalogue.group.opened'")).toBe(
      await count("SELECT count(*)::int AS n FROM groups g JOIN programs p ON p.id = g.program_id WHERE p.status = 'published' AND g.status = 'open'"),
    );

    const search = async (query: string) => (await h.app.inject({ method: "GET", url: `/search?${query}` })).json<{ total: number; items: { title: string }[] }>();
    const kazakh = await search(`q=${encodeURIComponent("үйірмесі")}`);
    expect(kazakh.total).toBeGreaterThan(0);
    const russian = await search(`q=${encodeURIComponent("робототехнике")}&freeSeats=true&age=10`);
    expect(russian.items.every((i) => /робототехник/i.test(i.title))).toBe(true);
    // The suspended provider's programs are in the database but not in the navigator.
    const hidden = await count("SELECT count(*)::int AS n FROM programs WHERE status = 'published' AND NOT provider_approved");
    expect(hidden).toBeGreaterThan(0);
    expect((await search("")).total).toBe(await count("SELECT count(*)::int AS n FROM programs WHERE status = 'published' AND provider_approved"));

    const second = await run();
    expect(second.stdout).toContain("demo programs present in every demo municipality");
    expect(await count("SELECT count(*)::int AS n FROM programs")).toBe(2000);
  });
});
