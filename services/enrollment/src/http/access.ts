import type { FastifyRequest } from "fastify";
import { requireMunicipality, requireRole, type Principal } from "@kruzhok/http";
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
export async function requireFamily(db: Queryable, request: FastifyRequest, owned: Owned): Promise<Principal> {
  const principal = requireRole(request, "guardian", "operator");
  requireMunicipality(principal, owned.municipalityId);
  if (principal.role === "guardian" && !(principal.guardianId && (await isGuardianOf(db, principal.guardianId, owned.childId)))) {
    throw enrollmentError("NOT_YOUR_CHILD", "only the child's guardian (or an operator at the office) may do this");
  }
  return principal;
}

/** The provider of the group. */
export function requireProvider(request: FastifyRequest, owned: Owned): Principal {
  const principal = requireRole(request, "provider");
  requireMunicipality(principal, owned.municipalityId);
  if (principal.providerId !== owned.providerId) throw enrollmentError("NOT_YOUR_GROUP", "only the group's provider may do this");
  return principal;
}

/** The family, the group's provider, or the municipality's office. */
export async function requireReader(db: Queryable, request: FastifyRequest, owned: Owned): Promise<Principal> {
  const principal = requireRole(request, "guardian", "operator", "municipality", "provider");
  requireMunicipality(principal, owned.municipalityId);
  if (principal.role === "provider") return requireProvider(request, owned);
  if (principal.role === "guardian") return requireFamily(db, request, owned);
  return principal;
}

/** Operator endpoints over queues: the office of a municipality (its own) or the region (any). */
export function requireQueueOperator(request: FastifyRequest, municipalityId: string | undefined): string | undefined {
  const principal = requireRole(request, "operator", "municipality", "region");
  if (principal.role === "region") return municipalityId;
  if (municipalityId) requireMunicipality(principal, municipalityId);
  return principal.municipalityId;
}
