import {
  CertificateIssued,
  ChildGuardiansChanged,
  MunicipalityCreated,
  MunicipalityYearSet,
  ProviderApproved,
  ProviderRejected,
  ProviderRejectedV1,
  ProviderSuspended,
  ProviderSuspendedV1,
  type EventEnvelope,
} from "@kruzhok/contracts";
import { causeOf, handlerFor, type HandlerContext } from "@kruzhok/messaging";
import type { ProviderStatus } from "../../domain/program";
import { recordChildGuardians, recordMunicipality, recordMunicipalityYear, recordProviderStatus } from "../../usecases/projections";
import type { CatalogueDeps } from "../../deps";

/** The registry's municipalities, their years, providers and children's guardians, as the catalogue keeps them. */
export function onRegistryEvents(deps: CatalogueDeps) {
  const providerStatus = (status: ProviderStatus) => (event: EventEnvelope<{ providerId: string; kind: string; name: string }>, { tx }: HandlerContext) =>
    recordProviderStatus(deps, tx, { id: event.data.providerId, municipalityId: event.municipalityId, name: event.data.name, kind: event.data.kind, status }, causeOf(event));
  return [
    handlerFor(MunicipalityCreated, (event, { tx }) => {
      const { municipalityId, code, name, regionCode, timeZone, currency } = event.data;
      return recordMunicipality(deps, tx, { id: municipalityId, code, name, regionCode, timeZone, currency }, causeOf(event));
    }),
    handlerFor(MunicipalityYearSet, (event, { tx }) =>
      recordMunicipalityYear(deps, tx, { municipalityId: event.municipalityId, year: event.data.year, nominal: event.data.nominal }, causeOf(event)),
    ),
    handlerFor(CertificateIssued, (event, { tx }) => recordChildGuardians(deps, tx, event.data, causeOf(event))),
    handlerFor(ChildGuardiansChanged, (event, { tx }) => recordChildGuardians(deps, tx, event.data, causeOf(event))),
    handlerFor(ProviderApproved, providerStatus("approved")),
    handlerFor(ProviderSuspended, providerStatus("suspended")),
    handlerFor(ProviderRejected, providerStatus("rejected")),
    // Version 1 (with the region's words) may still be on the topic.
    handlerFor(ProviderSuspendedV1, providerStatus("suspended")),
    handlerFor(ProviderRejectedV1, providerStatus("rejected")),
  ];
}
