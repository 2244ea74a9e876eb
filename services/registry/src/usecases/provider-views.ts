import type { Actor } from "@kruzhok/actor";
import { DomainError } from "@kruzhok/errors";
import type { Queryable } from "@kruzhok/postgres";
import { registryError } from "../domain/errors";
import type { ProviderStatus } from "../domain/provider";
import { findProvider, listProviders, type ProviderRow } from "../store/providers";
import { assertReaches } from "./access";

/**
 * What anyone may know of a provider: who it is, what it does and under which licence. Not its
 * tax id (an entrepreneur's INN is a person's number), not how its vetting went, not why it was
 * rejected or suspended; and only while it is approved.
 */
export interface PublicProvider {
  id: string;
  municipalityId: string;
  kind: ProviderRow["kind"];
  name: string;
  licence: ProviderRow["licence"];
  status: "approved";
}

export type ProviderView = { view: "staff"; provider: ProviderRow } | { view: "public"; provider: PublicProvider };

export function publicProvider(p: ProviderRow): PublicProvider {
  return { id: p.id, municipalityId: p.municipalityId, kind: p.kind, name: p.name, licence: p.licence, status: "approved" };
}

/**
 * Who may see a provider's whole record: the provider itself, the region that vets it, and the
 * office of its municipality (which applies on a provider's behalf and answers its questions).
 */
export async function seesProviderRecord(db: Queryable, actor: Actor | undefined, provider: Pick<ProviderRow, "id" | "municipalityId">): Promise<boolean> {
  if (!actor) return false;
  if (actor.role === "provider") return actor.providerId === provider.id;
  if (actor.role !== "region" && actor.role !== "operator" && actor.role !== "municipality") return false;
  try {
    await assertReaches(db, actor, provider.municipalityId);
    return true;
  } catch (error) {
    // Staff of elsewhere see what anyone sees.
    if (error instanceof DomainError) return false;
    throw error;
  }
}

/**
 * A provider as the caller may see it: the whole record for those entitled to it, the public
 * view of an approved provider for everyone else, and for a provider that is not approved,
 * REGISTRY.PROVIDER_NOT_FOUND, as if it did not exist (its application is nobody else's news).
 */
export async function viewProvider(db: Queryable, actor: Actor | undefined, id: string): Promise<ProviderView> {
  const found = await findProvider(db, id);
  if (found && (await seesProviderRecord(db, actor, found))) return { view: "staff", provider: found };
  if (found?.status !== "approved") throw registryError("PROVIDER_NOT_FOUND", `no provider ${id}`);
  return { view: "public", provider: publicProvider(found) };
}

/** A municipality's providers: every status (or the asked one) for its office and region, approved ones in the public view for everyone else. */
export async function viewProviders(db: Queryable, actor: Actor | undefined, municipalityId: string, status: ProviderStatus | undefined): Promise<ProviderView[]> {
  if (actor?.role === "operator" || actor?.role === "municipality" || actor?.role === "region") {
    await assertReaches(db, actor, municipalityId);
    return (await listProviders(db, municipalityId, status)).map((provider) => ({ view: "staff", provider }));
  }
  return (await listProviders(db, municipalityId, "approved")).map((p) => ({ view: "public", provider: publicProvider(p) }));
}
