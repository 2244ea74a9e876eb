import { requireMunicipality, requireMunicipalityIn, requireRole, type Actor } from "@kruzhok/actor";
import type { Queryable } from "@kruzhok/postgres";
import { attendanceError } from "../domain/errors";
import { findMunicipality, isGuardianOf } from "../store/projections";

/** Only the group's own provider marks it or changes its days: another role gets AUTH.FORBIDDEN_ROLE, another provider ATTENDANCE.NOT_YOUR_GROUP. */
export function requireGroupProvider(actor: Actor, group: { providerId: string; municipalityId: string }): void {
  requireRole(actor, "provider");
  requireMunicipality(actor, group.municipalityId);
  if (actor.providerId !== group.providerId) throw attendanceError("NOT_YOUR_GROUP", "only the group's own provider may mark it");
}

/**
 * Who may see a group's marks: its provider, and the municipality's operators and officials
 * (and the region's, ministry's are aggregates only).
 */
export async function requireGroupReader(db: Queryable, actor: Actor, group: { providerId: string; municipalityId: string }): Promise<void> {
  requireRole(actor, "provider", "operator", "municipality", "region");
  await requireMunicipalityIn(actor, group.municipalityId, regionOf(db));
  if (actor.role === "provider" && actor.providerId !== group.providerId) throw attendanceError("NOT_YOUR_GROUP", "only the group's own provider may see its marks");
}

/** A guardian acts for their own children only. */
export async function requireGuardianOf(db: Queryable, actor: Actor, childId: string, field = "childId"): Promise<void> {
  requireRole(actor, "guardian");
  if (!actor.guardianId || !(await isGuardianOf(db, actor.guardianId, childId))) {
    throw attendanceError("NOT_YOUR_CHILD", `child ${childId} is not yours`, { field });
  }
}

/** The municipality's own staff (operator or official), or the region's official over it (ministries see aggregates only, from statistics). */
export async function requireMunicipalStaff(db: Queryable, actor: Actor, municipalityId: string, ...roles: ("operator" | "municipality" | "region")[]): Promise<void> {
  requireRole(actor, ...(roles.length > 0 ? roles : (["operator", "municipality", "region"] as const)));
  await requireMunicipalityIn(actor, municipalityId, regionOf(db));
}

/** A municipality's region, as the registry announced it: what a region's official reaches. */
const regionOf = (db: Queryable) => async (municipalityId: string) => (await findMunicipality(db, municipalityId))?.regionCode;
