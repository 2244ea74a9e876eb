import { randomUUID } from "node:crypto";
import { Role } from "@kruzhok/actor";
import { DEV_AUTH_SECRET, signDevToken } from "@kruzhok/http";
import { z } from "zod";
import { Stop } from "../client";

export interface TokenOptions {
  role: string;
  municipality?: string;
  provider?: string;
  guardian?: string;
  region?: string;
  allRegions?: boolean;
  subject?: string;
  ttl: string;
  issuer?: string;
  audience?: string;
}

/**
 * A development token signed with AUTH_DEV_SECRET, or the kit's public default when it is unset
 * (as a service in development mode does; a note goes to stderr).
 */
export async function mintToken(o: TokenOptions, env: NodeJS.ProcessEnv): Promise<string> {
  const role = Role.safeParse(o.role);
  if (!role.success) throw new Stop(`--role ${o.role}: use one of ${Role.options.join(", ")}`, 2);
  if (env.AUTH_DEV_SECRET === undefined) process.stderr.write("kruzhok: AUTH_DEV_SECRET unset, signing with the development default\n");
  try {
    return await signDevToken(
      {
        subject: o.subject ?? o.guardian ?? o.provider ?? randomUUID(),
        role: role.data,
        municipalityId: o.municipality,
        providerId: o.provider,
        guardianId: o.guardian,
        regionCode: o.region,
        allRegions: o.allRegions,
      },
      { secret: env.AUTH_DEV_SECRET ?? DEV_AUTH_SECRET, ttl: o.ttl, issuer: o.issuer, audience: o.audience },
    );
  } catch (error) {
    if (error instanceof z.ZodError) throw new Stop(error.issues.map((issue) => `--${issue.path.join(".") || "role"}: ${issue.message}`).join("; "), 2);
    throw error;
  }
}
