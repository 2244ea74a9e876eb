import { reaches, type Actor } from "@kruzhok/actor";
import type { FundingKind } from "@kruzhok/contracts";
import { catalogueError } from "./errors";
import type { Certification, ProgramStatus, ProviderStatus } from "./program";

/** What decides who sees a program: whose it is, where, and whether it is listed. */
export interface ProgramStanding {
  providerId: string;
  municipalityId: string;
  /** The region of its municipality; null (or absent) when not known, and then no region official sees it unlisted. */
  regionCode?: string | null;
  status: ProgramStatus;
  providerStatus: ProviderStatus;
}

/** Is the actor the program's own provider? */
export function ownedBy(actor: Actor | null, program: Pick<ProgramStanding, "providerId">): boolean {
  return actor?.role === "provider" && actor.providerId === program.providerId;
}

/**
 * Families see listed programs (published by an approved provider); the provider sees its own in
 * every status, and the office of the municipality and the officials of its region see all of
 * theirs (`reaches`: another region's drafts stay out of sight).
 */
export function visibleTo(actor: Actor | null, program: ProgramStanding): boolean {
  if (program.status === "published" && program.providerStatus === "approved") return true;
  if (!actor) return false;
  if (actor.role === "provider") return actor.providerId === program.providerId;
  if (actor.role === "region" || actor.role === "operator" || actor.role === "municipality") return reaches(actor, program);
  return false;
}

/** The program, when the actor may see it; PROGRAM_NOT_FOUND otherwise (404, not 403, so that drafts do not leak). */
export function requireVisible<P extends ProgramStanding>(actor: Actor | null, program: P | undefined, id: string): P {
  if (!program || !visibleTo(actor, program)) throw catalogueError("PROGRAM_NOT_FOUND", `no program ${id}`);
  return program;
}

/** A group takes applications when it is open, its program listed and its certification in force on `today` (local). */
export function acceptsApplications(
  program: Pick<ProgramStanding, "status" | "providerStatus"> & { fundingKind: FundingKind; certification: Certification | null },
  groupStatus: "open" | "closed",
  today: string,
): boolean {
  if (groupStatus !== "open" || program.status !== "published" || program.providerStatus !== "approved") return false;
  return program.fundingKind !== "financed" || (program.certification !== null && program.certification.expiry >= today);
}

/** A group as families and providers read it: with whether it takes applications today. */
export function withAcceptance<G extends { status: "open" | "closed" }>(
  group: G,
  program: Parameters<typeof acceptsApplications>[0],
  today: string,
): G & { acceptingApplications: boolean } {
  return { ...group, acceptingApplications: acceptsApplications(program, group.status, today) };
}
