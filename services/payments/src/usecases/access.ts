import { requireMunicipality, requireRole, type Actor, type Place } from "@kruzhok/actor";
import type { Queryable } from "@kruzhok/postgres";
import { paymentsError } from "../domain/errors";
import { findMunicipality } from "../store/projections";

/** The municipality with its region, as the registry announced it: a region official reaches only its own region's. */
export async function placeOf(db: Queryable, municipalityId: string): Promise<Place> {
  return { municipalityId, regionCode: (await findMunicipality(db, municipalityId))?.regionCode ?? null };
}

/** The municipality's own staff (and the region above it) act on its money. */
export async function requireMunicipalStaff(db: Queryable, actor: Actor, municipalityId: string, ...roles: ("municipality" | "operator" | "region")[]): Promise<void> {
  requireRole(actor, ...(roles.length > 0 ? roles : (["municipality", "operator", "region"] as const)));
  requireMunicipality(actor, await placeOf(db, municipalityId), { field: "municipalityId" });
}

/** A provider sees its own registers; the municipality's staff (and its region) every register of the municipality. */
export async function requireRegisterReader(db: Queryable, actor: Actor, register: { municipalityId: string; providerId: string }): Promise<void> {
  requireRole(actor, "provider", "municipality", "operator", "region");
  requireMunicipality(actor, await placeOf(db, register.municipalityId));
  if (actor.role === "provider" && actor.providerId !== register.providerId) throw paymentsError("NOT_YOUR_REGISTER", "The register belongs to another provider");
}

/** A guardian sees the certificates of own children; the municipality's staff (and its region) those of the municipality. */
export async function requireCertificateReader(db: Queryable, actor: Actor, certificate: { municipalityId: string; guardianIds: readonly string[] }): Promise<void> {
  requireRole(actor, "guardian", "municipality", "operator", "region");
  requireMunicipality(actor, await placeOf(db, certificate.municipalityId), { field: "id" });
  if (actor.role === "guardian" && (!actor.guardianId || !certificate.guardianIds.includes(actor.guardianId))) {
    throw paymentsError("NOT_YOUR_CERTIFICATE", "The certificate is not of your child");
  }
}
