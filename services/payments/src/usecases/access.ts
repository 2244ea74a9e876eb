import { requireMunicipality, requireRole, type Actor } from "@kruzhok/actor";
import { paymentsError } from "../domain/errors";

/** The municipality's own staff (and the region above it) act on its money. */
export function requireMunicipalStaff(actor: Actor, municipalityId: string, ...roles: ("municipality" | "operator" | "region")[]): void {
  requireRole(actor, ...(roles.length > 0 ? roles : (["municipality", "operator", "region"] as const)));
  requireMunicipality(actor, municipalityId, { field: "municipalityId" });
}

/** A provider sees its own registers; the municipality's staff every register of the municipality. */
export function requireRegisterReader(actor: Actor, register: { municipalityId: string; providerId: string }): void {
  requireRole(actor, "provider", "municipality", "operator", "region");
  requireMunicipality(actor, register.municipalityId);
  if (actor.role === "provider" && actor.providerId !== register.providerId) throw paymentsError("NOT_YOUR_REGISTER", "The register belongs to another provider");
}

/** A guardian sees the certificates of own children; the municipality's staff those of the municipality. */
export function requireCertificateReader(actor: Actor, certificate: { municipalityId: string; guardianIds: readonly string[] }): void {
  requireRole(actor, "guardian", "municipality", "operator", "region");
  requireMunicipality(actor, certificate.municipalityId, { field: "id" });
  if (actor.role === "guardian" && (!actor.guardianId || !certificate.guardianIds.includes(actor.guardianId))) {
    throw paymentsError("NOT_YOUR_CERTIFICATE", "The certificate is not of your child");
  }
}
