import { CertificateConversionRequested } from "@kruzhok/contracts";
import { handlerFor } from "@kruzhok/messaging";
import type { RegistryDeps } from "../../deps";
import { announceRefusal, requestFinancing } from "../../usecases/financing";

/**
 * Enrollment asks to finance a certificate when a child enrolls into a financed program. The
 * same use case as the HTTP route runs in the consumer's transaction (with the inbox row), and
 * the registry answers either way: a refusal is a normal answer, not a failure. An unknown
 * certificate is a domain error, so the message goes to the dead-letter topic.
 */
export function conversionRequestedHandler({ clock }: Pick<RegistryDeps, "clock">) {
  return handlerFor(CertificateConversionRequested, async (event, { tx, logger }) => {
    const now = clock();
    const origin = { requestId: event.data.requestId, correlationId: event.correlationId, causationId: event.id, now };
    const outcome = await requestFinancing(tx, { certificateId: event.data.certificateId, year: event.data.year, ...origin });
    if (outcome.kind === "refused") {
      await announceRefusal(tx, outcome, origin);
      logger.info({ certificateId: outcome.certificate.id, reason: outcome.reason }, "conversion refused");
    } else {
      logger.info({ certificateId: outcome.certificate.id, year: outcome.year }, "certificate financed");
    }
  });
}
