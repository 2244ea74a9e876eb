import type { FastifyRequest } from "fastify";
import { requireRole } from "@kruzhok/actor";
import { requireActor } from "@kruzhok/http";
import { formatLocalDate, localDateOf } from "@kruzhok/time";
import { catalogueError } from "../domain/errors";
import type { ProgramRow } from "../store/programs";

/** Only the program's own provider edits it or its groups. */
export function requireOwner(request: FastifyRequest, program: Pick<ProgramRow, "providerId">): void {
  const actor = requireRole(requireActor(request), "provider");
  if (actor.providerId !== program.providerId) {
    throw catalogueError("NOT_YOUR_PROGRAM", "only the program's own provider may change it or its groups");
  }
}

/**
 * Families see listed programs (published by an approved provider); the provider sees its own in
 * every status, and the office of the municipality and the region see all of theirs. Others get
 * 404, not 403, so that drafts do not leak.
 */
export function canSee(request: FastifyRequest, program: Pick<ProgramRow, "providerId" | "municipalityId" | "status" | "providerStatus">): boolean {
  if (program.status === "published" && program.providerStatus === "approved") return true;
  const actor = request.actor;
  if (!actor) return false;
  if (actor.role === "provider") return actor.providerId === program.providerId;
  if (actor.role === "region") return true;
  if (actor.role === "operator" || actor.role === "municipality") return actor.municipalityId === program.municipalityId;
  return false;
}

export function requireVisible<P extends Pick<ProgramRow, "id" | "providerId" | "municipalityId" | "status" | "providerStatus">>(
  request: FastifyRequest,
  program: P | undefined,
  id: string,
): P {
  if (!program || !canSee(request, program)) throw catalogueError("PROGRAM_NOT_FOUND", `no program ${id}`);
  return program;
}

/** Today's date on the municipality's calendar. */
export function todayIn(zone: string, now: Date): string {
  return formatLocalDate(localDateOf(now, zone));
}

/** A group takes applications when it is open, its program listed and its certification in force. */
export function acceptsApplications(
  program: Pick<ProgramRow, "status" | "providerStatus" | "fundingKind" | "certification">,
  groupStatus: "open" | "closed",
  today: string,
): boolean {
  if (groupStatus !== "open" || program.status !== "published" || program.providerStatus !== "approved") return false;
  return program.fundingKind !== "financed" || (program.certification !== null && program.certification.expiry >= today);
}
