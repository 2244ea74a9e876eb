import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runKruzhok } from "@kruzhok/testkit";
import { processChildImports } from "../src/usecases/child-imports";
import { badLinesOf, csvOf, generatedRows } from "./fixtures/child-import-file";
import { countRows, createMunicipality, registryHarness, type RegistryHarness } from "./fixtures/registry";

// The operator's command line, `kruzhok import children FILE.csv` (packages/cli), run as a process
// as an operator runs it (its installed bin), against a registry listening on a port, its import
// worker running as main.ts runs it.

describe("kruzhok import children, the command line", () => {
  let h: RegistryHarness;
  let url: string;
  let municipality: { id: string; code: string };
  let dir: string;
  let working = true;
  let worker: Promise<void>;
  beforeAll(async () => {
    h = await registryHarness("reg-import-cli");
    url = await h.app.listen({ host: "127.0.0.1", port: 0 });
    municipality = await createMunicipality(h);
    dir = await mkdtemp(join(tmpdir(), "kruzhok-import-"));
    worker = (async () => {
      while (working) {
        await processChildImports({ pool: h.pool, clock: h.clock });
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
  });
  afterAll(async () => {
    working = false;
    await worker;
    await h.close();
  });

  const run = (...args: string[]) => runKruzhok(args, { env: { REGISTRY_URL: url } });

  it("imports 10,000 rows with 3 % bad ones: progress on stderr, the bad rows by line, the rest registered; again, all present", { timeout: 480_000 }, async () => {
    const file = join(dir, "children-10000.csv");
    await writeFile(file, csvOf(generatedRows(10_000, 5_000_000)));
    const children = await countRows(h.pool, "children");

    const first = await run("import", "children", file, "--municipality", municipality.code);
    expect(first.code, first.stderr).toBe(2);
    expect(first.stderr).toMatch(/^10000\/10000 100% {2}registered 9700 {2}present 0 {2}refused 300$/m);
    // Progress while it ran, not only at the end: a line at each tenth on a pipe.
    expect(first.stderr.split("\n").filter((line) => / \d+% {2}registered/.test(line)).length).toBeGreaterThan(3);
    expect(first.stderr).toContain("300 rows refused: correct those lines and import the file again");
    expect(first.stdout).toContain("registered:      9700");
    expect(first.stdout).toContain("refused:         300");
    expect(first.stdout).toContain("line 9 documentNumber: Номер документа не соответствует его виду");
    expect(first.stdout).toContain("line 44 firstName: обязательное поле");
    expect(await countRows(h.pool, "children")).toBe(children + 9_700);

    const again = await run("import", "children", file, "--municipality", municipality.id, "--json", "--lang", "kk");
    expect(again.code).toBe(2);
    const report = JSON.parse(again.stdout) as { created: number; present: number; bad: number; badRows: { line: number; field: string }[] };
    expect(report).toMatchObject({ created: 0, present: 9_700, bad: 300 });
    expect(report.badRows.map(({ line, field }) => ({ line, field }))).toEqual(badLinesOf(10_000));
    expect(await countRows(h.pool, "children")).toBe(children + 9_700);
  });

  it("exits 0 when every row is imported", { timeout: 60_000 }, async () => {
    const file = join(dir, "good.csv");
    await writeFile(file, csvOf(generatedRows(6, 5_100_000)));
    const result = await run("import", "children", file, "--municipality", municipality.id, "--role", "municipality");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("registered:      6");
  });

  it("says in one line what to do when it cannot import", { timeout: 60_000 }, async () => {
    const missing = await run("import", "children", join(dir, "nowhere.csv"), "--municipality", municipality.id);
    expect(missing).toMatchObject({ code: 1, stdout: "" });
    expect(missing.stderr).toMatch(/^kruzhok: cannot read .+nowhere\.csv \(ENOENT\): check the path\n$/);

    const unknown = await run("import", "children", join(dir, "good.csv"), "--municipality", "0000");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^kruzhok: no municipality with code 0000: .+\n$/);

    const header = join(dir, "header.csv");
    await writeFile(header, "фамилия,имя\nИванова,Анна\n");
    const refused = await run("import", "children", header, "--municipality", municipality.id);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(refused.stderr).toContain("REGISTRY.IMPORT_HEADER_INVALID");

    const usage = await run("import", "children", join(dir, "good.csv"));
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("required option '-m, --municipality <id|code>' not specified");

    const down = await run("--registry-url", "http://127.0.0.1:9", "import", "children", join(dir, "good.csv"), "--municipality", "0000");
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^kruzhok: the registry at http:\/\/127\.0\.0\.1:9 does not answer: start it \(npm start\), or pass --registry-url or set REGISTRY_URL\n$/);
  });
});
