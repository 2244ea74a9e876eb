import { domainErrors, type ErrorCategory } from "@kruzhok/errors";

/**
 * The catalogue's closed set of domain errors. Codes are stable: clients and tests check them.
 * Each message says what to fix.
 */
const codes = {
  AGE_RANGE_INVERTED: "validation",
  HOURS_INCONSISTENT: "validation",
  CURRENCY_MISMATCH: "validation",
  CERTIFICATION_REQUIRED: "validation",
  CERTIFICATION_INVALID: "validation",
  CERTIFICATION_EXPIRED: "validation",
  SLOT_INVERTED: "validation",
  SLOTS_OVERLAP: "validation",
  SCHEDULE_ZONE_MISMATCH: "validation",
  GROUP_DATES_INVERTED: "validation",
  DATE_IMPLAUSIBLE: "validation",
  EXCEPTION_OUTSIDE_GROUP: "validation",
  CURSOR_INVALID: "validation",
  PROGRAM_NOT_FOUND: "not_found",
  GROUP_NOT_FOUND: "not_found",
  ENROLLMENT_NOT_FOUND: "not_found",
  PROVIDER_NOT_FOUND: "not_found",
  NOT_YOUR_PROGRAM: "forbidden",
  NOT_YOUR_CHILD: "forbidden",
  PROVIDER_NOT_APPROVED: "illegal_state",
  MUNICIPALITY_UNKNOWN: "illegal_state",
  PROGRAM_TRANSITION: "illegal_state",
  PROGRAM_WITHDRAWN: "illegal_state",
  GROUP_CLOSED: "illegal_state",
  CAPACITY_BELOW_ENROLLED: "illegal_state",
  ENROLLMENT_NOT_ENDED: "illegal_state",
  REVIEW_EXISTS: "conflict",
} as const satisfies Record<string, ErrorCategory>;

export type CatalogueErrorCode = keyof typeof codes;

export const catalogueError = domainErrors("CATALOGUE", codes);
