import {
  CertificateClosed,
  CertificateClosedV1,
  CertificateConversionRefused,
  CertificateFinanced,
  CertificateIssued,
  CertificateMoved,
  CertificateResumed,
  CertificateSuspended,
  CertificateSuspendedV1,
  ChildCategoriesChanged,
  ChildCategoryExpired,
  ChildGuardiansChanged,
  MunicipalityCreated,
  MunicipalityYearSet,
} from "@kruzhok/contracts";
import { causeOf, handlerFor } from "@kruzhok/messaging";
import { recordChildCategories, rerankChild } from "../../usecases/applications";
import { closeCertificate, moveCertificate, recordFinancing, recordFinancingRefused, recordGuardians, recordIssuedCertificate, setCertificateInForce } from "../../usecases/certificates";
import { recordMunicipality, recordYearRules } from "../../usecases/municipalities";
import type { EnrollmentDeps } from "../../deps";

/** Municipalities, their yearly rules, certificates, guardians and categories, as the registry announces them. */
export function onRegistryEvents({ clock, positions }: Pick<EnrollmentDeps, "clock" | "positions">) {
  return [
    handlerFor(MunicipalityCreated, (event, { tx }) => recordMunicipality(tx, event.data, clock())),

    handlerFor(MunicipalityYearSet, (event, { tx }) => {
      const { data } = event;
      return recordYearRules(
        tx,
        event.municipalityId,
        {
          year: data.year,
          currency: data.currency,
          categories: data.categories.map((c) => c.code),
          maxOpenApplications: data.maxOpenApplications,
          offerAcceptanceDays: data.deadlines.offerAcceptanceDays,
          providerReviewWorkingDays: data.deadlines.providerReviewWorkingDays,
        },
        clock(),
        causeOf(event),
      );
    }),

    handlerFor(CertificateIssued, (event, { tx }) => {
      const { data } = event;
      return recordIssuedCertificate(
        tx,
        { positions },
        {
          certificateId: data.certificateId,
          municipalityId: event.municipalityId,
          childId: data.childId,
          number: data.number,
          birthYear: data.birthYear,
          birthDate: data.birthDate,
          guardianIds: data.guardianIds,
          categories: data.categories,
        },
        clock(),
      );
    }),

    handlerFor(CertificateFinanced, (event, { tx }) => recordFinancing(tx, event.data.certificateId, event.data.year, clock(), causeOf(event))),

    handlerFor(CertificateConversionRefused, (event, { tx }) =>
      recordFinancingRefused(tx, event.data.certificateId, event.data.year, event.data.reason, clock(), causeOf(event)),
    ),

    handlerFor(CertificateSuspended, (event, { tx }) => setCertificateInForce(tx, event.data.certificateId, "suspended", clock())),
    // Version 1 (with the office's words) may still be on the topic.
    handlerFor(CertificateSuspendedV1, (event, { tx }) => setCertificateInForce(tx, event.data.certificateId, "suspended", clock())),

    handlerFor(CertificateResumed, (event, { tx }) => setCertificateInForce(tx, event.data.certificateId, "active", clock())),

    handlerFor(CertificateClosed, async (event, { tx }) => void (await closeCertificate(tx, event.data.certificateId, clock(), causeOf(event)))),
    handlerFor(CertificateClosedV1, async (event, { tx }) => void (await closeCertificate(tx, event.data.certificateId, clock(), causeOf(event)))),

    handlerFor(CertificateMoved, (event, { tx }) => moveCertificate(tx, event.data.certificateId, event.data.toMunicipalityId, clock(), causeOf(event))),

    handlerFor(ChildGuardiansChanged, (event, { tx }) => recordGuardians(tx, { positions }, event.data.childId, event.data.guardianIds)),

    handlerFor(ChildCategoriesChanged, async (event, { tx }) => void (await recordChildCategories(tx, event.data.childId, event.data.categories, clock(), causeOf(event)))),

    // The validity dates it holds already stop the category on the day (the sweep re-ranks); the
    // announcement re-ranks the child at once, whichever comes first, and changes nothing twice.
    handlerFor(ChildCategoryExpired, async (event, { tx }) => void (await rerankChild(tx, event.data.childId, clock(), causeOf(event)))),
  ];
}
