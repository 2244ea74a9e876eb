import {
  CertificateIssued,
  MunicipalityCreated,
  MunicipalityYearSet,
  ProviderApproved,
  ProviderRejected,
  ProviderSuspended,
  type EventEnvelope,
} from "@kruzhok/contracts";
import { handlerFor } from "@kruzhok/messaging";
import type { PoolClient } from "@kruzhok/postgres";
import type { ProviderStatus } from "../../domain/program";
import { announceGroupsUpdated } from "../../store/announcements";
import { addChildGuardians, upsertMunicipality, upsertProvider, upsertYear } from "../../store/reference";
import type { CatalogueDeps } from "../../deps";

export const municipalityCreated = handlerFor(MunicipalityCreated, async (event, { tx }) => {
  const { municipalityId, code, name, timeZone, currency } = event.data;
  await upsertMunicipality(tx, { id: municipalityId, code, name, timeZone, currency });
});

export const municipalityYearSet = handlerFor(MunicipalityYearSet, async (event, { tx }) => {
  await upsertYear(tx, event.municipalityId, event.data.year, event.data.nominal);
});

export const certificateIssued = handlerFor(CertificateIssued, async (event, { tx }) => {
  await addChildGuardians(tx, event.data.childId, event.data.guardianIds);
});

/**
 * A provider's status as the registry announced it. Suspension hides its programs from search
 * (the listed flag on each program changes in this transaction) and every open group of its
 * published programs is announced as not accepting applications, so enrollment stops at once;
 * reinstatement (registry.provider.approved after a suspension) announces them open again.
 */
export function providerHandlers(deps: Pick<CatalogueDeps, "clock">) {
  async function apply(tx: PoolClient, event: EventEnvelope<{ providerId: string; kind: string; name: string }>, status: ProviderStatus) {
    const now = deps.clock();
    const before = await upsertProvider(tx, { id: event.data.providerId, municipalityId: event.municipalityId, name: event.data.name, kind: event.data.kind, status }, now);
    const origin = { correlationId: event.correlationId, causationId: event.id };
    if (status === "suspended" && before === "approved") {
      await announceGroupsUpdated(tx, { providerId: event.data.providerId }, "provider_suspended", origin, now);
    }
    if (status === "approved" && before === "suspended") {
      await announceGroupsUpdated(tx, { providerId: event.data.providerId }, "provider_reinstated", origin, now);
    }
  }
  return [
    handlerFor(ProviderApproved, (event, { tx }) => apply(tx, event, "approved")),
    handlerFor(ProviderSuspended, (event, { tx }) => apply(tx, event, "suspended")),
    handlerFor(ProviderRejected, (event, { tx }) => apply(tx, event, "rejected")),
  ];
}
