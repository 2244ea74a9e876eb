import {
  ApplicationRefused,
  ApplicationReviewed,
  ApplicationSubmitted,
  ApplicationSubmittedV2,
  ApplicationWithdrawn,
  CertificateConversionRequested,
  ContractSigned,
  EnrollmentEnded,
  OfferLapsed,
} from "@kruzhok/contracts";
import { causeOf, handlerFor } from "@kruzhok/messaging";
import type { RegistryDeps } from "../../deps";
import { recordApplicantChange } from "../../usecases/applicants";
import { answerConversionRequest } from "../../usecases/financing";

/** The relation an application event names: which provider, which child, which group. */
const refOf = (data: { applicationId: string; providerId: string; childId: string; groupId: string }) => ({
  applicationId: data.applicationId,
  providerId: data.providerId,
  childId: data.childId,
  groupId: data.groupId,
});

/**
 * What the registry hears from enrollment: a request to finance a certificate when a child
 * enrolls into a financed program, and which provider a child applied to or is enrolled with
 * (so that the provider may read the child's name and the family's contacts). The financing use
 * case runs in the consumer's transaction (with the inbox row), and the registry answers either
 * way: a refusal is a normal answer, not a failure. An unknown certificate is a domain error,
 * so the message goes to the dead-letter topic.
 */
export function onEnrollmentEvents(deps: RegistryDeps) {
  return [
    handlerFor(CertificateConversionRequested, async (event, { tx, logger }) => {
      const { certificateId, year, requestId } = event.data;
      const outcome = await answerConversionRequest(deps, tx, { certificateId, year, requestId }, causeOf(event));
      if (outcome.kind === "refused") logger.info({ certificateId, reason: outcome.reason }, "conversion refused");
      else logger.info({ certificateId, year: outcome.year }, "certificate financed");
    }),
    handlerFor(ApplicationSubmittedV2, (event, { tx }) => recordApplicantChange(tx, { kind: "applied", ref: refOf(event.data) }, deps.clock())),
    handlerFor(ApplicationSubmitted, (event, { tx }) => recordApplicantChange(tx, { kind: "applied", ref: refOf(event.data) }, deps.clock())),
    handlerFor(ContractSigned, (event, { tx }) =>
      recordApplicantChange(tx, { kind: "enrolled", ref: refOf(event.data), enrollmentId: event.data.enrollmentId }, deps.clock()),
    ),
    handlerFor(ApplicationRefused, (event, { tx }) => recordApplicantChange(tx, { kind: "application-closed", ref: refOf(event.data) }, deps.clock())),
    handlerFor(ApplicationWithdrawn, (event, { tx }) => recordApplicantChange(tx, { kind: "application-closed", ref: refOf(event.data) }, deps.clock())),
    handlerFor(OfferLapsed, (event, { tx }) => recordApplicantChange(tx, { kind: "application-closed", ref: refOf(event.data) }, deps.clock())),
    handlerFor(ApplicationReviewed, async (event, { tx }) => {
      if (event.data.decision === "rejected") await recordApplicantChange(tx, { kind: "application-closed", ref: refOf(event.data) }, deps.clock());
    }),
    handlerFor(EnrollmentEnded, (event, { tx }) => recordApplicantChange(tx, { kind: "enrollment-ended", enrollmentId: event.data.enrollmentId }, deps.clock())),
  ];
}
