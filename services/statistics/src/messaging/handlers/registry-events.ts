import {
  CertificateClosed,
  CertificateFinanced,
  CertificateIssued,
  CertificateMoved,
  CertificateResumed,
  CertificateSuspended,
  MunicipalityCreated,
  MunicipalityYearSet,
  ProviderApplied,
  ProviderApproved,
  ProviderRejected,
  ProviderSuspended,
  type EventContract,
} from "@kruzhok/contracts";
import { causeOf, handlerFor } from "@kruzhok/messaging";
import { recordFact, type SubjectFact } from "../../usecases/record";
import type { StatisticsDeps } from "../../deps";

/** Municipalities (region, zone), their years' populations, certificates and providers. */
export function onRegistryEvents(deps: StatisticsDeps) {
  const certificate = <C extends EventContract>(contract: C, kind: SubjectFact["kind"], attrs: (data: never) => SubjectFact["attrs"] = () => ({})) =>
    handlerFor(contract, (event, { tx }) => {
      const data = event.data as { certificateId: string };
      return recordFact(deps, tx, event, { kind: "subjects", facts: [{ subject: { type: "certificate", id: data.certificateId }, kind, attrs: attrs(data as never) }] }, causeOf(event));
    });
  const provider = <C extends EventContract>(contract: C, kind: SubjectFact["kind"]) =>
    handlerFor(contract, (event, { tx }) => {
      const data = event.data as { providerId: string; kind: string };
      return recordFact(deps, tx, event, { kind: "subjects", facts: [{ subject: { type: "provider", id: data.providerId }, kind, attrs: { kind: data.kind } }] }, causeOf(event));
    });
  return [
    handlerFor(MunicipalityCreated, (event, { tx }) =>
      recordFact(deps, tx, event, { kind: "municipality", regionCode: event.data.regionCode, timeZone: event.data.timeZone }, causeOf(event)),
    ),
    handlerFor(MunicipalityYearSet, (event, { tx }) =>
      recordFact(deps, tx, event, { kind: "population", year: event.data.year, children: event.data.childrenPopulation }, causeOf(event)),
    ),
    certificate(CertificateIssued, "certificate.issued", (data: { birthYear: number }) => ({ birthYear: data.birthYear })),
    certificate(CertificateFinanced, "certificate.financed"),
    certificate(CertificateSuspended, "certificate.suspended"),
    certificate(CertificateResumed, "certificate.resumed"),
    certificate(CertificateClosed, "certificate.closed"),
    certificate(CertificateMoved, "certificate.moved", (data: { toMunicipalityId: string; funding: string }) => ({ toMunicipalityId: data.toMunicipalityId, funding: data.funding })),
    provider(ProviderApplied, "provider.applied"),
    provider(ProviderApproved, "provider.approved"),
    provider(ProviderRejected, "provider.rejected"),
    provider(ProviderSuspended, "provider.suspended"),
  ];
}
