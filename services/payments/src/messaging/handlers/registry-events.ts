import { CertificateClosed, CertificateFinanced, CertificateMoved, CertificateIssued, ChildCategoriesChanged, ChildGuardiansChanged, MunicipalityCreated, MunicipalityYearSet } from "@kruzhok/contracts";
import { causeOf, handlerFor } from "@kruzhok/messaging";
import { localDateOf } from "@kruzhok/time";
import { findMunicipality } from "../../store/projections";
import { moveCertificate, recordYearSettings, releaseCertificate, requestFinancing } from "../../usecases/financing";
import { recordCertificate, recordChildCategories, recordChildGuardians, recordMunicipality } from "../../usecases/projections";
import type { PaymentsDeps } from "../../deps";

/** The registry's municipalities, their years' budgets, certificates and their financing. */
export function onRegistryEvents(deps: PaymentsDeps) {
  return [
    handlerFor(MunicipalityCreated, (event, { tx }) => {
      const { municipalityId, regionCode, timeZone, currency } = event.data;
      return recordMunicipality(deps, tx, { id: municipalityId, regionCode, timeZone, currency }, causeOf(event));
    }),
    handlerFor(MunicipalityYearSet, (event, { tx }) => {
      const { year, nominal, budget, financedCap, categories } = event.data;
      return recordYearSettings(deps, tx, { municipalityId: event.municipalityId, year, nominal, budget, financedCap, categories }, causeOf(event));
    }),
    handlerFor(CertificateIssued, (event, { tx }) => {
      const { certificateId, childId, number, categories, guardianIds } = event.data;
      return recordCertificate(deps, tx, { id: certificateId, municipalityId: event.municipalityId, childId, number, categories, guardianIds, status: "accounting" }, causeOf(event));
    }),
    handlerFor(ChildCategoriesChanged, (event, { tx }) => recordChildCategories(deps, tx, event.data, causeOf(event))),
    handlerFor(ChildGuardiansChanged, (event, { tx }) => recordChildGuardians(deps, tx, event.data, causeOf(event))),
    // REVIEW: the registry still decides financing (its cap) and announces it done; payments then
    // commits the money or puts the certificate on its waiting list. Remove once the registry asks
    // payments first and records the status payments grants (issue 15, ARCHITECTURE.md).
    handlerFor(CertificateFinanced, async (event, { tx }) => {
      await requestFinancing(deps, tx, { certificateId: event.data.certificateId, year: event.data.year, municipalityId: event.municipalityId }, causeOf(event));
    }),
    handlerFor(CertificateClosed, async (event, { tx }) => {
      const municipality = await findMunicipality(tx, event.municipalityId);
      const year = localDateOf(new Date(event.occurredAt), municipality?.timeZone ?? "UTC").year;
      await releaseCertificate(deps, tx, { certificateId: event.data.certificateId, year }, causeOf(event));
    }),
    handlerFor(CertificateMoved, async (event, { tx }) => {
      const { certificateId, fromMunicipalityId, toMunicipalityId } = event.data;
      // The year of the move on the calendar of the municipality it leaves (whose budget financed it).
      const from = await findMunicipality(tx, fromMunicipalityId);
      const year = localDateOf(new Date(event.occurredAt), from?.timeZone ?? "UTC").year;
      await moveCertificate(deps, tx, { certificateId, fromMunicipalityId, toMunicipalityId, year }, causeOf(event));
    }),
  ];
}
