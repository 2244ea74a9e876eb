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
import type { SubjectFact } from "../../usecases/record";
import { factOf, subjects } from "./facts";

/** Municipalities (region, zone), their years' populations and budgets, certificates and providers. */
export function registryFacts() {
  const certificate = <C extends EventContract>(contract: C, kind: SubjectFact["kind"], attrs: (data: never) => SubjectFact["attrs"] = () => ({})) =>
    factOf(contract, (event) => {
      const data = event.data as { certificateId: string };
      return subjects({ subject: { type: "certificate", id: data.certificateId }, kind, attrs: attrs(data as never) });
    });
  const provider = <C extends EventContract>(contract: C, kind: SubjectFact["kind"]) =>
    factOf(contract, (event) => {
      const data = event.data as { providerId: string; kind: string };
      return subjects({ subject: { type: "provider", id: data.providerId }, kind, attrs: { kind: data.kind } });
    });
  return [
    factOf(MunicipalityCreated, (event) => ({ kind: "municipality", regionCode: event.data.regionCode, timeZone: event.data.timeZone })),
    factOf(MunicipalityYearSet, (event) => ({ kind: "population", year: event.data.year, children: event.data.childrenPopulation, budget: event.data.budget })),
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
