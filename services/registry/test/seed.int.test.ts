import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registryHarness, type RegistryHarness } from "./fixtures/registry";

// `npm start`'s demo data goes through the registry's HTTP API as each role would; a rule that
// changes what a role must send (an office's acting basis, a region's claim) breaks it first.
const script = fileURLToPath(new URL("../scripts/seed.ts", import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm")).href;

describe("demo seed", () => {
  let h: RegistryHarness;
  let url: string;
  beforeAll(async () => {
    h = await registryHarness("reg-seed");
    url = await h.app.listen({ host: "127.0.0.1", port: 0 });
  });
  afterAll(async () => {
    await h.close();
  });

  const run = () =>
    promisify(execFile)(process.execPath, ["--import", tsx, script], {
      // The seed reads back, from the registry's own database, the id of a record a rerun meets again.
      env: { PATH: process.env.PATH ?? "", REGISTRY_URL: url, SEED_CHILDREN: "6", DATABASE_URL: h.iso.infra.databaseUrl, SERVICE_DATABASE: `t_${h.iso.id}` },
    });

  it("sets up every municipality with providers and certificates through the API, and a second run changes nothing", async () => {
    const first = await run();
    expect(first.stdout).toMatch(/registry: .+: 8 providers added \(8 in the demo\), \d+ certificates issued/);
    const count = async () => (await h.pool.query<{ n: string }>("SELECT count(*) AS n FROM certificates")).rows[0]!.n;
    const certificates = Number(await count());
    expect(certificates).toBeGreaterThan(0);
    const { rows } = await h.pool.query<{ n: string }>("SELECT count(*) AS n FROM municipalities");
    expect(Number(rows[0]!.n)).toBe(3);
    const second = await run();
    expect(second.stdout).toMatch(/registry: .+: 0 providers added \(8 in the demo\), 0 certificates issued \(0 financed\), \d+ present already/);
    expect(Number(await count())).toBe(certificates);
  });
});
