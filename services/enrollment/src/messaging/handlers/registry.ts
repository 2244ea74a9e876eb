import {
  CertificateClosed,
  CertificateConversionRefused,
  CertificateFinanced,
  CertificateIssued,
  CertificateMoved,
  CertificateResumed,
  CertificateSuspended,
  ChildCategoriesChanged,
  MunicipalityCreated,
  MunicipalityYearSet,
  type EventEnvelope,
} from "@kruzhok/contracts";
import { handlerFor } from "@kruzhok/messaging";
import { lockGroupQueues } from "../../store/applications";
import { setMunicipalityCurrency } from "../../store/notifications";
import { replaceCategories, setCertificate, upsertIssuedCertificate, upsertMunicipality, upsertYear } from "../../store/reference";
import { rerankApplication, rerankChild, settleFinancing, withdrawOpenApplicationsOfCertificate } from "../../usecases/applications";
import { closeCertificate } from "../../usecases/certificates";
import type { EnrollmentDeps } from "../../deps";

const originOf = (event: EventEnvelope) => ({ correlationId: event.correlationId, causationId: event.id });

/** Municipalities, their yearly rules, certificates and categories, as the registry announces them. */
export function registryHandlers({ clock }: Pick<EnrollmentDeps, "clock">) {
  return [
    handlerFor(MunicipalityCreated, async (event, { tx }) => {
      await upsertMunicipality(tx, event.data.municipalityId, event.data.timeZone, clock());
      // The currency picks the language of messages to families (tenge: Kazakh).
      await setMunicipalityCurrency(tx, event.data.municipalityId, event.data.currency);
    }),

    handlerFor(MunicipalityYearSet, async (event, { tx }) => {
      const { data } = event;
      await setMunicipalityCurrency(tx, event.municipalityId, data.currency);
      const before = await upsertYear(tx, event.municipalityId, {
        year: data.year,
        categories: data.categories.map((c) => c.code),
        maxOpenApplications: data.maxOpenApplications,
        offerAcceptanceDays: data.deadlines.offerAcceptanceDays,
        providerReviewWorkingDays: data.deadlines.providerReviewWorkingDays,
      });
      // A new category order re-ranks every waiting application of the municipality. Queue locks
      // first, in one order, then the rows (no child locks: see lockGroupQueue).
      if (before?.join(",") === data.categories.map((c) => c.code).join(",")) return;
      const { rows } = await tx.query<{ id: string; groupId: string }>(
        `SELECT id, group_id AS "groupId" FROM applications WHERE municipality_id = $1 AND status IN ('awaiting_financing', 'queued') ORDER BY id`,
        [event.municipalityId],
      );
      await lockGroupQueues(tx, rows.map((r) => r.groupId));
      for (const row of rows) await rerankApplication(tx, row.id, clock(), originOf(event));
    }),

    handlerFor(CertificateIssued, async (event, { tx }) => {
      const { data } = event;
      await upsertIssuedCertificate(tx, {
        id: data.certificateId,
        municipalityId: event.municipalityId,
        childId: data.childId,
        number: data.number,
        birthYear: data.birthYear,
        guardianIds: data.guardianIds,
        categories: data.categories,
      }, clock());
    }),

    handlerFor(CertificateFinanced, async (event, { tx }) => {
      await setCertificate(tx, event.data.certificateId, { funding: "financed", financedYear: event.data.year }, clock());
      await settleFinancing(tx, event.data.certificateId, { financed: true }, clock(), originOf(event));
    }),

    handlerFor(CertificateConversionRefused, async (event, { tx }) => {
      // Financed already (by an earlier request or over the registry's own API): go on as financed.
      const outcome = event.data.reason === "already_financed" ? { financed: true as const } : { financed: false as const, reason: event.data.reason };
      if (outcome.financed) await setCertificate(tx, event.data.certificateId, { funding: "financed", financedYear: event.data.year }, clock());
      await settleFinancing(tx, event.data.certificateId, outcome, clock(), originOf(event));
    }),

    handlerFor(CertificateSuspended, async (event, { tx }) => {
      // Applications keep their places; a suspended certificate cannot apply nor accept an offer.
      await setCertificate(tx, event.data.certificateId, { status: "suspended" }, clock());
    }),

    handlerFor(CertificateResumed, async (event, { tx }) => {
      await setCertificate(tx, event.data.certificateId, { status: "active" }, clock());
    }),

    handlerFor(CertificateClosed, async (event, { tx }) => {
      await closeCertificate(tx, event.data.certificateId, clock(), originOf(event));
    }),

    handlerFor(CertificateMoved, async (event, { tx }) => {
      await withdrawOpenApplicationsOfCertificate(tx, event.data.certificateId, "certificate_moved", clock(), originOf(event));
      await setCertificate(tx, event.data.certificateId, { municipalityId: event.data.toMunicipalityId }, clock());
    }),

    handlerFor(ChildCategoriesChanged, async (event, { tx }) => {
      await replaceCategories(tx, event.data.childId, event.data.categories, clock());
      await rerankChild(tx, event.data.childId, clock(), originOf(event));
    }),
  ];
}
