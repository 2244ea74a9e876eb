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
