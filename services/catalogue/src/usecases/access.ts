import { requireMunicipality, requireRole, type Actor } from "@kruzhok/actor";
import type { Queryable } from "@kruzhok/postgres";
import { catalogueError } from "../domain/errors";
import { ownedBy } from "../domain/listing";
import { findMunicipality, findProvider } from "../store/projections";

/**
 * Only the program's own provider changes it or its groups: another role gets
 * AUTH.FORBIDDEN_ROLE, another provider CATALOGUE.NOT_YOUR_PROGRAM.
 */
export function requireOwner(actor: Actor, program: { providerId: string }): void {
  if (!ownedBy(requireRole(actor, "provider"), program)) {
    throw catalogueError("NOT_YOUR_PROGRAM", "only the program's own provider may change it or its groups");
  }
}

/**
 * Who may read a provider's whole list of programs, drafts included: the provider itself, and
 * the office and officials of its municipality (another provider or a family reads the listed
 * ones through search). A provider the catalogue has not heard of: CATALOGUE.PROVIDER_NOT_FOUND.
 */
export async function requireProviderDesk(db: Queryable, actor: Actor, providerId: string): Promise<void> {
  requireRole(actor, "provider", "operator", "municipality", "region");
  if (actor.role === "provider") {
    if (actor.providerId !== providerId) throw catalogueError("NOT_YOUR_PROGRAM", "a provider sees the drafts and withdrawn programs of its own only");
    return;
  }
  const provider = await findProvider(db, providerId);
  if (!provider) throw catalogueError("PROVIDER_NOT_FOUND", `no provider ${providerId}`);
  const municipality = await findMunicipality(db, provider.municipalityId);
  requireMunicipality(actor, { municipalityId: provider.municipalityId, regionCode: municipality?.regionCode ?? null });
}
