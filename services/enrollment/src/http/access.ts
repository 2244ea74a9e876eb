import type { FastifyRequest } from "fastify";
import { requireMunicipality, requireRole, type Actor } from "@kruzhok/actor";
import { requireActor } from "@kruzhok/http";
import type { Queryable } from "@kruzhok/postgres";
import { enrollmentError } from "../domain/errors";
import { isGuardianOf } from "../store/reference";

// Who may see and act on what. Other municipalities' resources: AUTH.OTHER_MUNICIPALITY (403);
// in the same municipality, a guardian reaches only the children they are guardian of and a
// provider only its own groups.

interface Owned {
  municipalityId: string;
  childId: string;
  providerId: string;
}

/** A guardian of the child, or an operator of its municipality acting for the family at the office. */
export async function requireFamily(db: Queryable, request: FastifyRequest, owned: Owned): Promise<Actor> {
  const actor = requireRole(requireActor(request), "guardian", "operator");
  requireMunicipality(actor, owned.municipalityId);
  if (actor.role === "guardian" && !(actor.guardianId && (await isGuardianOf(db, actor.guardianId, owned.childId)))) {
    throw enrollmentError("NOT_YOUR_CHILD", "only the child's guardian (or an operator at the office) may do this");
  }
  return actor;
}

/** The provider of the group. */
export function requireProvider(request: FastifyRequest, owned: Owned): Actor {
  const actor = requireRole(requireActor(request), "provider");
  requireMunicipality(actor, owned.municipalityId);
  if (actor.providerId !== owned.providerId) throw enrollmentError("NOT_YOUR_GROUP", "only the group's provider may do this");
  return actor;
}

/** The family, the group's provider, or the municipality's office. */
export async function requireReader(db: Queryable, request: FastifyRequest, owned: Owned): Promise<Actor> {
  const actor = requireRole(requireActor(request), "guardian", "operator", "municipality", "provider");
  requireMunicipality(actor, owned.municipalityId);
  if (actor.role === "provider") return requireProvider(request, owned);
  if (actor.role === "guardian") return requireFamily(db, request, owned);
  return actor;
}

/** Operator endpoints over queues: the office of a municipality (its own) or the region (any). */
export function requireQueueOperator(request: FastifyRequest, municipalityId: string | undefined): string | undefined {
  const actor = requireRole(requireActor(request), "operator", "municipality", "region");
  if (actor.role === "region") return municipalityId;
  if (municipalityId) requireMunicipality(actor, municipalityId);
  return actor.municipalityId;
}
