/**
 * Mint a development token for the local stack (services in AUTH_MODE=development, on loopback):
 *
 *   npm run --silent token -- --role guardian --municipality <uuid> --guardian <uuid> --ttl 1h
 *   npm run --silent token -- --role region --region 41
 *   npm run --silent token -- --role ministry --all-regions
 *
 * Flags: --role (required), --municipality, --provider, --guardian, --region (the region code a
 * region token governs, or a ministry's one region; required for region), --all-regions (a
 * federal ministry: every region, instead of --region), --subject (default: the
 * guardian or provider id, else a random uuid), --ttl (default 1h; a service refuses a token
 * living longer than its AUTH_MAX_TOKEN_LIFETIME_S, 12 h by default), --issuer, --audience.
 * Signs with AUTH_DEV_SECRET; when it is unset, with DEV_AUTH_SECRET, the secret a service in
 * development mode uses when its own AUTH_DEV_SECRET is unset (a note goes to stderr). Prints
 * only the token on stdout, so `TOKEN=$(npm run --silent token -- …)` works.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { ZodError } from "zod";
import { Role } from "@kruzhok/actor";
import { DEV_AUTH_SECRET, signDevToken } from "./auth";

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      role: { type: "string" },
      municipality: { type: "string" },
      provider: { type: "string" },
      guardian: { type: "string" },
      region: { type: "string" },
      "all-regions": { type: "boolean" },
      subject: { type: "string" },
      ttl: { type: "string", default: "1h" },
      issuer: { type: "string" },
      audience: { type: "string" },
    },
  });
  const secret = env.AUTH_DEV_SECRET ?? DEV_AUTH_SECRET;
  if (env.AUTH_DEV_SECRET === undefined) process.stderr.write("mint-token: AUTH_DEV_SECRET unset, using the development default\n");
  return signDevToken(
    {
      subject: values.subject ?? values.guardian ?? values.provider ?? randomUUID(),
      role: Role.parse(values.role),
      municipalityId: values.municipality,
      providerId: values.provider,
      guardianId: values.guardian,
      regionCode: values.region,
      allRegions: values["all-regions"],
    },
    { secret, ttl: values.ttl, issuer: values.issuer, audience: values.audience },
  );
}

main(process.argv.slice(2), process.env).then(
  (token) => process.stdout.write(`${token}\n`),
  (error: unknown) => {
    const message =
      error instanceof ZodError
        ? error.issues.map((issue) => `${issue.path.join(".") || "role"}: ${issue.message}`).join("; ")
        : String(error);
    process.stderr.write(`mint-token: ${message}\n`);
    process.exitCode = 2;
  },
);
