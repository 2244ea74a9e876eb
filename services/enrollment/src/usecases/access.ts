import { v7 as uuidv7 } from "uuid";
import { requireBasis, requireMunicipality, requireRole, type Actor } from "@kruzhok/actor";
import type { Queryable } from "@kruzhok/postgres";
import { enrollmentError } from "../domain/errors";
import { insertFamilyActs, type FamilyAction, type FamilyActRow } from "../store/audit";
import { isGuardianOf } from "../store/projections";

// Who may act on and see what. Other municipalities' resources: AUTH.OTHER_MUNICIPALITY (403);
// in the same municipality, a guardian reaches only the children they are guardian of and a
// provider only its own groups.

/** What an application, offer or enrollment belongs to. */
export interface Owned {
  municipalityId: string;
  childId: string;
  providerId: string;
}

/** An act done for a family: what, on which application, offer, enrollment or campaign, when. */
export interface FamilyAct {
  action: FamilyAction;
  subjectId: string;
  now: Date;
}

/**
 * A guardian of the child, or an operator of its municipality acting for the family at the
 * office. An act (`act`) by an operator needs the basis it stated (AUTH.BASIS_REQUIRED) and is
 * written to the family's audit trail in the caller's transaction.
 */
export async function requireFamily(db: Queryable, actor: Actor, owned: Pick<Owned, "municipalityId" | "childId">, act?: FamilyAct): Promise<Actor> {
  requireRole(actor, "guardian", "operator");
  requireMunicipality(actor, owned.municipalityId);
  if (actor.role === "guardian" && !(actor.guardianId && (await isGuardianOf(db, actor.guardianId, owned.childId)))) {
    throw enrollmentError("NOT_YOUR_CHILD", "only the child's guardian (or an operator at the office) may do this");
  }
  if (act) {
    const entry = familyActOf(actor, owned, act);
    if (entry) await insertFamilyActs(db, [entry]);
  }
  return actor;
}

/** The audit entry of an act for a family: none for the family's own, the basis required of anyone else. */
export function familyActOf(actor: Actor, owned: Pick<Owned, "municipalityId" | "childId">, act: FamilyAct): FamilyActRow | undefined {
  const basis = requireBasis(actor);
  if (!basis) return undefined;
  return {
    id: uuidv7({ msecs: act.now.getTime() }),
    municipalityId: owned.municipalityId,
    childId: owned.childId,
    action: act.action,
    subjectId: act.subjectId,
    actorSubject: actor.subject,
    actorRole: actor.role,
    basisKind: basis.kind,
    basisReference: basis.reference,
    at: act.now,
  };
}

/** The provider of the group. */
export function requireProvider(actor: Actor, owned: Pick<Owned, "municipalityId" | "providerId">): Actor {
  requireRole(actor, "provider");
  requireMunicipality(actor, owned.municipalityId);
  if (actor.providerId !== owned.providerId) throw enrollmentError("NOT_YOUR_GROUP", "only the group's provider may do this");
  return actor;
}

/**
 * Guardianships a process has already found in Postgres (PositionLookups), so that a guardian's
 * next read of the same child's applications needs no query.
 */
export interface KnownGuardianships {
  isKnownGuardian(guardianId: string, childId: string): boolean;
  rememberGuardian(guardianId: string, childId: string): void;
}

/** The family, the group's provider, or the municipality's office may read it. */
export async function requireReader(db: Queryable, actor: Actor, owned: Owned, known?: KnownGuardianships): Promise<Actor> {
  if (known && actor.role === "guardian" && actor.guardianId && known.isKnownGuardian(actor.guardianId, owned.childId)) {
    requireMunicipality(actor, owned.municipalityId);
    return actor;
  }
  requireRole(actor, "guardian", "operator", "municipality", "provider");
  requireMunicipality(actor, owned.municipalityId);
  if (actor.role === "provider") return requireProvider(actor, owned);
  if (actor.role !== "guardian") return actor;
  await requireFamily(db, actor, owned);
  if (actor.guardianId) known?.rememberGuardian(actor.guardianId, owned.childId);
  return actor;
}

/**
 * Operators' work over queues (rebuild, check): the office of a municipality (its own) or the
 * region (any). The municipality in scope; undefined for the region's every one.
 */
export function queueScope(actor: Actor, municipalityId: string | undefined): string | undefined {
  requireRole(actor, "operator", "municipality", "region");
  if (actor.role === "region") return municipalityId;
  if (municipalityId) requireMunicipality(actor, municipalityId);
  return actor.municipalityId;
}
