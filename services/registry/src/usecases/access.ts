import { v7 as uuidv7 } from "uuid";
import { actorError, requireBasis, requireMunicipality, requireMunicipalityIn, type Actor, type Role } from "@kruzhok/actor";
import type { DomainErrorDetails } from "@kruzhok/errors";
import type { Queryable } from "@kruzhok/postgres";
import { registryError } from "../domain/errors";
import { insertFamilyActs, type FamilyAction, type FamilyActRow } from "../store/audit";
import type { CertificateRow } from "../store/certificates";
import { regionOfMunicipality } from "../store/municipalities";
import { findChild } from "../store/people";

/** The in-person office of a municipality: operators at the desk and the municipality's own staff. */
export const officeRoles: readonly Role[] = ["operator", "municipality"];

/**
 * Does the actor reach the municipality: at home for the municipal roles, in their region for
 * region and ministry (looked up here only for them)? AUTH.OTHER_MUNICIPALITY or
 * AUTH.OTHER_REGION otherwise. An unknown municipality has no region: a region official is
 * refused there rather than told whether it exists.
 */
export function assertReaches(db: Queryable, actor: Actor, municipalityId: string, details: DomainErrorDetails = {}): Promise<void> {
  return requireMunicipalityIn(actor, municipalityId, (id) => regionOfMunicipality(db, id), details);
}

/**
 * May the caller see or act for this child? A guardian only for a child they are a guardian of;
 * everyone else (already narrowed by role) only within the child's municipality.
 */
export function assertActsForChild(actor: Actor, child: { municipalityId: string; guardianIds: readonly string[] }): void {
  if (actor.role === "guardian") {
    if (actor.guardianId === undefined || !child.guardianIds.includes(actor.guardianId)) {
      throw registryError("NOT_YOUR_CHILD", "you are not registered as a guardian of this child");
    }
    return;
  }
  requireMunicipality(actor, child.municipalityId);
}

/** A guardian's own record, or an office of the guardian's municipality. */
export function assertActsForGuardian(actor: Actor, guardian: { id: string; municipalityId: string }): void {
  if (actor.role === "guardian") {
    if (actor.guardianId !== guardian.id) throw registryError("NOT_YOUR_RECORD", "a guardian sees only their own record");
    return;
  }
  requireMunicipality(actor, guardian.municipalityId);
}

/** Guardians of the certificate's child; everyone else (already narrowed by role) within the certificate's municipality or region. */
export async function assertActsForCertificate(db: Queryable, actor: Actor, certificate: CertificateRow): Promise<void> {
  if (actor.role !== "guardian") return assertReaches(db, actor, certificate.municipalityId);
  const child = await findChild(db, certificate.childId);
  if (!child) throw new Error(`certificate ${certificate.id} points at a missing child`);
  assertActsForChild(actor, child);
}

/** The municipality an office works for (its token always names one; the kit refuses it otherwise). */
export function homeMunicipality(actor: Actor): string {
  if (actor.municipalityId === undefined) throw actorError("AUTH.OTHER_MUNICIPALITY", "Your sign-in names no municipality");
  return actor.municipalityId;
}

/** An act done for a family: what, on whom or what, for which child or guardian, when. */
export interface FamilyAct {
  action: FamilyAction;
  subjectId: string;
  municipalityId: string;
  childId?: string | undefined;
  guardianId?: string | undefined;
  now: Date;
}

/**
 * The audit entry of an act for a family: an operator's needs the basis it stated
 * (AUTH.BASIS_REQUIRED); the family's own and an authority's acts have none.
 */
export function familyActOf(actor: Actor, act: FamilyAct): FamilyActRow | undefined {
  const basis = requireBasis(actor);
  if (!basis) return undefined;
  return {
    id: uuidv7({ msecs: act.now.getTime() }),
    municipalityId: act.municipalityId,
    childId: act.childId ?? null,
    guardianId: act.guardianId ?? null,
    action: act.action,
    subjectId: act.subjectId,
    actorSubject: actor.subject,
    actorRole: actor.role,
    basisKind: basis.kind,
    basisReference: basis.reference,
    at: act.now,
  };
}

/** Write an operator's act for a family to the family's trail, in the act's transaction. */
export async function recordFamilyAct(db: Queryable, actor: Actor, act: FamilyAct): Promise<void> {
  const entry = familyActOf(actor, act);
  if (entry) await insertFamilyActs(db, [entry]);
}
