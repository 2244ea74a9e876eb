import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { createTokenVerifier, DEV_AUTH_SECRET } from "../src";

const run = promisify(execFile);
const cli = fileURLToPath(new URL("../src/mint-token.ts", import.meta.url));
const tsx = fileURLToPath(new URL("../node_modules/.bin/tsx", import.meta.url));

// A process, not a pure function: it lives with the integration tests.
describe("mint-token CLI", () => {
  it("prints only a token that the dev verifier accepts, signed with AUTH_DEV_SECRET", async () => {
    const secret = `cli-secret-${randomUUID()}`;
    const municipality = randomUUID();
    const guardian = randomUUID();
    const args = ["--role", "guardian", "--municipality", municipality, "--guardian", guardian, "--ttl", "1h"];
    const { stdout } = await run(tsx, [cli, ...args], { env: { ...process.env, AUTH_DEV_SECRET: secret } });
    const token = stdout.trim();
    expect(token.split(".")).toHaveLength(3);
    const actor = await createTokenVerifier({ mode: "dev", secret })(token);
    expect(actor).toEqual({ subject: guardian, role: "guardian", municipalityId: municipality, guardianId: guardian });
  });

  it("falls back to the development default secret, saying so on stderr", async () => {
    const env = { ...process.env };
    delete env.AUTH_DEV_SECRET;
    const { stdout, stderr } = await run(tsx, [cli, "--role", "region", "--region", "41"], { env });
    expect(stderr).toContain("AUTH_DEV_SECRET unset");
    const actor = await createTokenVerifier({ mode: "dev", secret: DEV_AUTH_SECRET })(stdout.trim());
    expect(actor).toMatchObject({ role: "region", regionCode: "41" });
  });

  it("mints a federal ministry's token with --all-regions, and refuses a region token that names no region", async () => {
    const secret = `cli-secret-${randomUUID()}`;
    const env = { ...process.env, AUTH_DEV_SECRET: secret };
    const { stdout } = await run(tsx, [cli, "--role", "ministry", "--all-regions"], { env });
    expect(await createTokenVerifier({ mode: "dev", secret })(stdout.trim())).toMatchObject({ role: "ministry", allRegions: true });
    const failure = (await run(tsx, [cli, "--role", "region"], { env }).catch((error: unknown) => error)) as { code: number; stdout: string; stderr: string };
    expect(failure.code).toBe(2);
    expect(failure.stdout).toBe("");
    expect(failure.stderr).toContain("region_code");
  });

  it("refuses a guardian token without a guardian id, printing nothing on stdout", async () => {
    const failure = (await run(tsx, [cli, "--role", "guardian", "--municipality", randomUUID()]).catch(
      (error: unknown) => error,
    )) as { code: number; stdout: string; stderr: string };
    expect(failure.code).toBe(2);
    expect(failure.stdout).toBe("");
    expect(failure.stderr).toContain("guardian_id");
  });
});
