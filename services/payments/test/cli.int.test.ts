import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runKruzhok } from "@kruzhok/testkit";
import { enrolled, financed, group, issued, paymentsHarness, summarised, summary, world, type PaymentsHarness } from "./fixtures/payments";

// The operator's command line (packages/cli) against payments listening on a port, run as a
// process as an operator runs it: `kruzhok ledger verify` through the books check route, and
// `kruzhok export registers` writing each register's file.

let h: PaymentsHarness;
let url: string;
beforeAll(async () => {
  h = await paymentsHarness("payments-cli", "2026-10-01T00:00:00Z");
  url = await h.app.listen({ host: "127.0.0.1", port: 0 });
});
afterAll(() => h.close());

const run = (...args: string[]) => runKruzhok(["--payments-url", url, ...args]);

describe("kruzhok ledger verify and export registers", () => {
  it("says the books hold, then names the violation once they do not; exports the month's registers as files", async () => {
    const w = await world(h, { nominal: 1_000_000 });
    const g = await group(h, w);
    const c = await issued(h, w);
    await financed(h, w, c);
    const enrollmentId = await enrolled(h, w, g, c);
    await summarised(h, w, summary(g, c, enrollmentId, "2026-11", { billable: 4 }));
    const token = (await h.as({ role: "municipality", municipalityId: w.municipalityId })).authorization.replace(/^Bearer /, "");

    const holds = await run("--token", token, "ledger", "verify", "--municipality", w.municipalityId, "--year", "2026");
    expect(holds, holds.stderr).toMatchObject({ code: 0, stdout: `ledger: municipality ${w.municipalityId} 2026: the books hold\n` });

    const dir = await mkdtemp(join(tmpdir(), "kruzhok-registers-"));
    const exported = await run("--token", token, "export", "registers", "-m", w.municipalityId, "--month", "2026-11", "--format", "csv", "--dir", dir);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain("1 registers exported");
    const [file] = await readdir(dir);
    expect(file).toMatch(/^register-2026-11-[0-9a-f-]{36}\.csv$/);
    expect(await readFile(join(dir, file!), "utf8")).toContain("150000");

    // Books that do not add up (a posted debit with no credit, as a bug would leave them).
    await h.pool.query("UPDATE ledger_accounts SET debits_posted = debits_posted + 1 WHERE id = (SELECT id FROM ledger_accounts WHERE municipality_id = $1 LIMIT 1)", [w.municipalityId]);
    const broken = await run("--token", token, "ledger", "verify", "-m", w.municipalityId, "-y", "2026");
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^kruzhok: the books of 2026 do not hold: debits \d+ differ from credits \d+\n$/);

    const stranger = (await h.as({ role: "municipality", municipalityId: (await world(h)).municipalityId })).authorization.replace(/^Bearer /, "");
    const refused = await run("--token", stranger, "ledger", "verify", "-m", w.municipalityId, "-y", "2026");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^kruzhok: .+ \[AUTH\.OTHER_MUNICIPALITY\]\n$/);

    const usage = await run("ledger", "verify", "-m", w.municipalityId, "-y", "20x6");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("a year such as 2026");
  });
});
