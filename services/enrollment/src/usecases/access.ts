import { v7 as uuidv7 } from "uuid";
import { actorError, requireBasis, requireMunicipality, requireMunicipalityIn, requireRole, type Actor, type Role } from "@kruzhok/actor";
import type { DomainErrorDetails } from "@kruzhok/errors";
import type { Queryable } from "@kruzhok/postgres";
import { enrollmentError } from "../domain/errors";
import { insertFamilyActs, type FamilyAction, type FamilyActRow } from "../store/audit";
import { isGuardianOf, regionOfMunicipality } from "../store/projections";
import type { QueueScope } from "../store/queue-index";

// Who may act on and see what. Other municipalities' resources: AUTH.OTHER_MUNICIPALITY (403),
// other regions' (for region and ministry officials): AUTH.OTHER_REGION (403); in the same
// municipality, a guardian reaches only the children they are guardian of and a provider only
// its own groups.

/**
 * Does the actor reach the municipality: at home for the municipal roles, in their region for
 * region and ministry (its region read from the registry's announcement, only for them)? A
 * municipality enrollment has not heard of has no region here: a region official is refused.
 */
export function assertReaches(db: Queryable, actor: Actor, municipalityId: string, details: DomainErrorDetails = {}): Promise<void> {
  return requireMunicipalityIn(actor, municipalityId, (id) => regionOfMunicipality(db, id), details);
}

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

/** The audit entry of an act for a family: none for the family's own, the basis required of an operator (and of `actingFor`). */
export function familyActOf(actor: Actor, owned: Pick<Owned, "municipalityId" | "childId">, act: FamilyAct, actingFor: readonly Role[] = []): FamilyActRow | undefined {
  const basis = requireBasis(actor, actingFor);
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
  if (known && isKnownGuardianReader(actor, owned, known)) return actor;
  requireRole(actor, "guardian", "operator", "municipality", "provider");
  requireMunicipality(actor, owned.municipalityId);
  if (actor.role === "provider") return requireProvider(actor, owned);
  if (actor.role !== "guardian") return actor;
  await requireFamily(db, actor, owned);
  if (actor.guardianId) known?.rememberGuardian(actor.guardianId, owned.childId);
  return actor;
}

/**
 * `requireReader`'s answer from what the process already knows, with nothing to wait for: true
 * for a guardian it has seen to be the child's (in the child's municipality; another's is
 * refused, as `requireReader` refuses it); false when `requireReader` must decide.
 */
export function isKnownGuardianReader(actor: Actor, owned: Pick<Owned, "municipalityId" | "childId">, known: KnownGuardianships): boolean {
  if (actor.role !== "guardian" || !actor.guardianId || !known.isKnownGuardian(actor.guardianId, owned.childId)) return false;
  requireMunicipality(actor, owned.municipalityId);
  return true;
}

/**
 * Operators' work over queues (rebuild, check): the office of a municipality (its own) or the
 * region (one of its municipalities, or all of them when none is named; never another region's).
 */
export async function queueScope(db: Queryable, actor: Actor, municipalityId: string | undefined): Promise<QueueScope> {
  requireRole(actor, "operator", "municipality", "region");
  if (municipalityId) {
    await assertReaches(db, actor, municipalityId, { field: "municipalityId" });
    return { municipalityId };
  }
  // The kit refuses a token without the municipality or region its role needs; an actor made by
  // hand without one reaches nothing.
  if (actor.role !== "region") {
    if (actor.municipalityId === undefined) throw actorError("AUTH.OTHER_MUNICIPALITY", "Your sign-in names no municipality");
    return { municipalityId: actor.municipalityId };
  }
  if (actor.regionCode === undefined) throw actorError("AUTH.OTHER_REGION", "Your sign-in names no region");
  return { regionCode: actor.regionCode };
}
