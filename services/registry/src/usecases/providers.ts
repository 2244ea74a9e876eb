import { v7 as uuidv7 } from "uuid";
import { requireRole, type Actor } from "@kruzhok/actor";
import { ProviderApplied, ProviderApproved, ProviderRejected, ProviderSuspended } from "@kruzhok/contracts";
import { emit, type Cause } from "@kruzhok/messaging";
import { registryError } from "../domain/errors";
import { decideProvider, decideProviderApplication, type ProviderCommand } from "../domain/provider";
import { findMunicipality } from "../store/municipalities";
import { findProvider, insertProvider, updateProvider, type ProviderRow } from "../store/providers";
import type { RegistryDeps } from "../deps";
import { assertReaches } from "./access";
import { inTransaction } from "./transaction";

/** What a provider states when it applies. */
export type ProviderApplication = Pick<ProviderRow, "municipalityId" | "kind" | "name" | "taxId" | "licence">;

/**
 * A provider applies from its own account (the record takes the provider id its account carries
 * from the identity provider), or an office or the region applies on its behalf (a new id), in
 * the municipality it works for. A tax id or account that applied already is refused.
 */
export async function applyAsProvider(deps: RegistryDeps, actor: Actor, application: ProviderApplication, cause: Cause): Promise<ProviderRow> {
  requireRole(actor, "provider", "operator", "municipality", "region");
  const state = decideProviderApplication(application);
  const id = actor.role === "provider" && actor.providerId ? actor.providerId : uuidv7();
  const provider: ProviderRow = { id, ...application, ...state };
  return inTransaction(deps, cause, async ({ tx, now }) => {
    await assertReaches(tx, actor, application.municipalityId, { field: "municipalityId" });
    if (!(await findMunicipality(tx, application.municipalityId))) {
      throw registryError("MUNICIPALITY_NOT_FOUND", `no municipality ${application.municipalityId}`, { field: "municipalityId" });
    }
    if (!(await insertProvider(tx, provider, actor.subject, now))) {
      throw registryError("PROVIDER_ALREADY_APPLIED", "a provider with this tax id or account has already applied", { field: "taxId" });
    }
    await emit(tx, ProviderApplied, { ...cause, municipalityId: provider.municipalityId, aggregateId: id }, { providerId: id, kind: provider.kind, name: provider.name }, now);
    return provider;
  });
}

/**
 * The regional authority of the provider's region, or the education office of its own municipality
 * (issue 18: the municipality vets the providers that work for it), records its checks, approves,
 * rejects, suspends or reinstates it, as the domain allows (`decideProvider`), with the provider's row locked; every
 * change but recorded checks is announced (a reinstatement as an approval: the provider may
 * publish again).
 */
export async function changeProvider(deps: RegistryDeps, actor: Actor, command: { providerId: string; change: ProviderCommand }, cause: Cause): Promise<ProviderRow> {
  requireRole(actor, "region", "municipality");
  const { providerId, change } = command;
  return inTransaction(deps, cause, async ({ tx, now }) => {
    const provider = await findProvider(tx, providerId, true);
    if (!provider) throw registryError("PROVIDER_NOT_FOUND", `no provider ${providerId}`);
    await assertReaches(tx, actor, provider.municipalityId);
    const next: ProviderRow = { ...provider, ...decideProvider(provider, change) };
    await updateProvider(tx, provider.id, next, now);
    const ref = { providerId: provider.id, kind: provider.kind, name: provider.name };
    const origin = { ...cause, municipalityId: provider.municipalityId, aggregateId: provider.id };
    switch (change.kind) {
      case "record_checks":
        break;
      case "approve":
      case "reinstate":
        await emit(tx, ProviderApproved, origin, ref, now);
        break;
      case "reject":
        await emit(tx, ProviderRejected, origin, { ...ref, reason: change.code }, now);
        break;
      case "suspend":
        await emit(tx, ProviderSuspended, origin, { ...ref, reason: change.code }, now);
        break;
      default: {
        const exhaustive: never = change;
        return exhaustive;
      }
    }
    return next;
  });
}
