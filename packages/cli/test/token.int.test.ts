import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { createTokenVerifier, DEV_AUTH_SECRET } from "@kruzhok/http";

const exec = promisify(execFile);
const kruzhok = fileURLToPath(new URL("../bin/kruzhok.mjs", import.meta.url));
const run = (args: string[], options: { env?: NodeJS.ProcessEnv } = {}) => exec(process.execPath, [kruzhok, "token", ...args], options);

// A process, not a pure function: it lives with the integration tests.
describe("kruzhok token, the development token", () => {
  it("prints only a token that the dev verifier accepts, signed with AUTH_DEV_SECRET", async () => {
    const secret = `cli-secret-${randomUUID()}`;
    const municipality = randomUUID();
    const guardian = randomUUID();
    const args = ["--role", "guardian", "--municipality", municipality, "--guardian", guardian, "--ttl", "1h"];
    const { stdout } = await run(args, { env: { ...process.env, AUTH_DEV_SECRET: secret } });
    const token = stdout.trim();
    expect(token.split(".")).toHaveLength(3);
    const actor = await createTokenVerifier({ mode: "dev", secret })(token);
    expect(actor).toEqual({ subject: guardian, role: "guardian", municipalityId: municipality, guardianId: guardian });
  });

  it("falls back to the development default secret, saying so on stderr", async () => {
    const env = { ...process.env };
    delete env.AUTH_DEV_SECRET;
    const { stdout, stderr } = await run(["--role", "region", "--region", "41"], { env });
    expect(stderr).toContain("AUTH_DEV_SECRET unset");
    const actor = await createTokenVerifier({ mode: "dev", secret: DEV_AUTH_SECRET })(stdout.trim());
    expect(actor).toMatchObject({ role: "region", regionCode: "41" });
  });

  it("mints a federal ministry's token with --all-regions, and refuses a region token that names no region", async () => {
    const secret = `cli-secret-${randomUUID()}`;
    const env = { ...process.env, AUTH_DEV_SECRET: secret };
    const { stdout } = await run(["--role", "ministry", "--all-regions"], { env });
    expect(await createTokenVerifier({ mode: "dev", secret })(stdout.trim())).toMatchObject({ role: "ministry", allRegions: true });
    const failure = (await run(["--role", "region"], { env }).catch((error: unknown) => error)) as { code: number; stdout: string; stderr: string };
    expect(failure.code).toBe(2);
    expect(failure.stdout).toBe("");
    expect(failure.stderr).toContain("region_code");
  });

  it("refuses a guardian token without a guardian id, printing nothing on stdout", async () => {
    const failure = (await run(["--role", "guardian", "--municipality", randomUUID()]).catch(
      (error: unknown) => error,
    )) as { code: number; stdout: string; stderr: string };
    expect(failure.code).toBe(2);
    expect(failure.stdout).toBe("");
    expect(failure.stderr).toContain("guardian_id");
  });

  it("names the roles when given one that does not exist", async () => {
    const failure = (await run(["--role", "mayor"]).catch((error: unknown) => error)) as { code: number; stdout: string; stderr: string };
    expect(failure).toMatchObject({ code: 2, stdout: "" });
    expect(failure.stderr).toBe("kruzhok: --role mayor: use one of guardian, provider, operator, municipality, region, ministry\n");
  });
});
