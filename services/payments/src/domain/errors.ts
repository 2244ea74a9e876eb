import { domainErrors, type ErrorCategory } from "@kruzhok/errors";

/**
 * Payments' closed set of domain errors. Codes are stable: clients and tests check them. Each
 * message says what to fix.
 */
const codes = {
  AMOUNT_INVALID: "validation",
  MONTH_INVALID: "validation",
  EXPORT_FORMAT: "validation",
  MUNICIPALITY_UNKNOWN: "not_found",
  CERTIFICATE_NOT_FOUND: "not_found",
  REGISTER_NOT_FOUND: "not_found",
  YEAR_UNKNOWN: "illegal_state",
  NOT_YOUR_REGISTER: "forbidden",
  NOT_YOUR_CERTIFICATE: "forbidden",
  INSUFFICIENT_FUNDS: "conflict",
  TRANSFER_REFUSED: "conflict",
  REGISTER_TRANSITION: "illegal_state",
  ADVANCE_NOT_OPEN: "illegal_state",
  ADVANCE_EXISTS: "conflict",
  ADVANCE_TOO_LARGE: "conflict",
} as const satisfies Record<string, ErrorCategory>;

export type PaymentsErrorCode = keyof typeof codes;

export const paymentsError = domainErrors("PAYMENTS", codes);

/**
 * What an event needs has not reached payments yet: it travels on another partition or topic
 * (the registry's year settings beside its certificates' financing; the catalogue's groups beside
 * attendance's summaries), so an event may come first. Not a DomainError on purpose: the consumer
 * runner retries it with backoff (and parks it if the news never comes) instead of dead-lettering
 * an event that is only early, which left a financed certificate without its money.
 */
export class NotHeardYet extends Error {
  override readonly name = "NotHeardYet";
}
