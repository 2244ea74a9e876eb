import { CertificateConversionRequested } from "@kruzhok/contracts";
import { causeOf, handlerFor } from "@kruzhok/messaging";
import type { RegistryDeps } from "../../deps";
import { answerConversionRequest } from "../../usecases/financing";

/**
 * What the registry hears from enrollment: a request to finance a certificate when a child
 * enrolls into a financed program. The financing use case runs in the consumer's transaction
 * (with the inbox row), and the registry answers either way: a refusal is a normal answer, not
 * a failure. An unknown certificate is a domain error, so the message goes to the dead-letter
 * topic.
 */
export function onEnrollmentEvents(deps: RegistryDeps) {
  return [
    handlerFor(CertificateConversionRequested, async (event, { tx, logger }) => {
      const { certificateId, year, requestId } = event.data;
      const outcome = await answerConversionRequest(deps, tx, { certificateId, year, requestId }, causeOf(event));
      if (outcome.kind === "refused") logger.info({ certificateId, reason: outcome.reason }, "conversion refused");
      else logger.info({ certificateId, year: outcome.year }, "certificate financed");
    }),
  ];
}
