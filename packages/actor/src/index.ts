/**
 * Who acts, and what their role and scope let them do. No transport: the http kit turns a
 * verified token into an `Actor`, a consumer or a sweep names the actor it acts for (a campaign
 * draw acts as the family), and use cases decide with the checks here. A refusal is a domain
 * error (category `forbidden`, 403 at the edge) with a stable `AUTH.*` code.
 */
import { z } from "zod";
import { DomainError, type DomainErrorDetails } from "@kruzhok/errors";
import type { ActingBasis } from "./basis";

export * from "./basis";

export const Roles = ["guardian", "provider", "operator", "municipality", "region", "ministry"] as const;
export const Role = z.enum(Roles);
export type Role = z.infer<typeof Role>;

/** Who is acting. A guardian carries a guardianId, a provider a providerId, and every role but region and ministry a municipalityId. */
export interface Actor {
  subject: string;
  role: Role;
  municipalityId?: string;
  providerId?: string;
  guardianId?: string;
  /** What an operator acting for a family stated (the Acting-Basis header); see basis.ts. */
  basis?: ActingBasis;
}

/** Roles whose reach is not one municipality. */
export const crossMunicipalRoles: ReadonlySet<Role> = new Set(["region", "ministry"]);

/**
 * The codes of the refusals below, with the title their problem document carries (the same
 * titles clients saw when the http kit refused these itself).
 */
export const ActorErrorCodes = {
  "AUTH.FORBIDDEN_ROLE": { title: "Your role may not do this" },
  "AUTH.OTHER_MUNICIPALITY": { title: "The resource belongs to another municipality" },
} as const;
export type ActorErrorCode = keyof typeof ActorErrorCodes;

/** A refusal for who the actor is: `actorError("AUTH.OTHER_MUNICIPALITY", message, { field: "guardianIds.0" })`. */
export function actorError(code: ActorErrorCode, message: string, details: DomainErrorDetails = {}): DomainError {
  return new DomainError(code, "forbidden", message, details);
}

/** The actor, who must hold one of `roles`; AUTH.FORBIDDEN_ROLE otherwise. */
export function requireRole(actor: Actor, ...roles: readonly Role[]): Actor {
  if (!roles.includes(actor.role)) {
    throw actorError("AUTH.FORBIDDEN_ROLE", `Role ${actor.role} may not do this; needs ${roles.join(" or ")}`);
  }
  return actor;
}

/**
 * Tenancy check for a resource of `municipalityId`: AUTH.OTHER_MUNICIPALITY unless the actor
 * reaches it. Region and ministry reach every municipality (REVIEW: a region should reach only
 * its own municipalities once the registry publishes which region each belongs to); every
 * other role only its own. `details` name the command's field the resource came from, if any.
 */
export function requireMunicipality(actor: Actor, municipalityId: string, details: DomainErrorDetails = {}): void {
  if (crossMunicipalRoles.has(actor.role)) return;
  if (actor.municipalityId !== municipalityId) {
    throw actorError("AUTH.OTHER_MUNICIPALITY", "The resource belongs to another municipality", details);
  }
}
