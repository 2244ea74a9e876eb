import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyBooks } from "../src/usecases/verify";
import { enrolled, financed, group, issued, paymentsHarness, summarised, summary, world, type PaymentsHarness } from "./fixtures/payments";

let h: PaymentsHarness;
beforeAll(async () => {
  h = await paymentsHarness("payments-verify", "2026-10-01T00:00:00Z");
});
afterAll(() => h.close());

const verifyCli = fileURLToPath(new URL("../src/verify.ts", import.meta.url));
function runVerify(municipalityId: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, ["--import", "tsx", verifyCli, municipalityId, "2026"], { env: { ...process.env, DATABASE_URL: h.iso.databaseUrl } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

describe("verify: a municipality's books of a year, the first violation or none", () => {
  it("passes books as payments keeps them, and exits non-zero naming the first violation once they are broken", async () => {
    const w = await world(h);
    const g = await group(h, w);
    const c = await issued(h, w);
    await financed(h, w, c);
    const enrollmentId = await enrolled(h, w, g, c);
    await summarised(h, w, summary(g, c, enrollmentId, "2026-11", { billable: 4 }));
    expect(await verifyBooks(h.pool, w.municipalityId, 2026)).toBeNull();
    const passed = await runVerify(w.municipalityId);
    expect(passed.code).toBe(0);
    expect(passed.stdout).toContain("the books hold");

    // A later version seen but never billed: a summary not billed at its latest version.
    await h.pool.query(`INSERT INTO billed_versions (enrollment_id, month, version, cause_event_id) VALUES ($1, '2026-11', 2, gen_random_uuid())`, [enrollmentId]);
    expect(await verifyBooks(h.pool, w.municipalityId, 2026)).toMatch(/billed at version 1, latest is 2/);
    const broken = await runVerify(w.municipalityId);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/verify: enrollment .* billed at version 1, latest is 2/);
    await h.pool.query(`DELETE FROM billed_versions WHERE version = 2 AND enrollment_id = $1`, [enrollmentId]);

    // A register line that disagrees with billing.
    await h.pool.query(`UPDATE register_lines SET certificate_amount = certificate_amount + 1 WHERE enrollment_id = $1`, [enrollmentId]);
    expect(await verifyBooks(h.pool, w.municipalityId, 2026)).toMatch(/registers hold/);
  });
});
