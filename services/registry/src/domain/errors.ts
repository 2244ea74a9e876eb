import { domainErrors, type ErrorCategory } from "@kruzhok/errors";

/**
 * The registry's closed set of domain errors. Codes are stable: clients and tests check them.
 * Each message says what to fix.
 */
const codes = {
  AGE_OUT_OF_RANGE: "validation",
  DOCUMENT_INVALID: "validation",
  CATEGORY_UNKNOWN: "validation",
  CATEGORY_DUPLICATE: "validation",
  CATEGORY_PROOF_TOO_LONG: "validation",
  CATEGORY_PROOF_NOT_YET_ISSUED: "validation",
  CATEGORY_PROOF_EXPIRED: "validation",
  CLAIM_NOT_FOUND: "not_found",
  CLAIM_DECIDED: "illegal_state",
  SEARCH_TOO_BROAD: "validation",
  YEAR_IN_THE_PAST: "illegal_state",
  NOMINAL_FIXED: "illegal_state",
  CAP_BELOW_FINANCED: "illegal_state",
  MUNICIPALITY_NOT_FOUND: "not_found",
  MUNICIPALITY_CODE_TAKEN: "conflict",
  GUARDIAN_ALREADY_REGISTERED: "conflict",
  GUARDIAN_NOT_FOUND: "not_found",
  CHILD_ALREADY_REGISTERED: "conflict",
  CHILD_NOT_FOUND: "not_found",
  CHILD_MERGED: "conflict",
  NOT_YOUR_INVITATION: "forbidden",
  INVITATION_NOT_FOUND: "not_found",
  PASSPORT_TOO_YOUNG: "validation",
  CERTIFICATE_EXISTS: "conflict",
  CERTIFICATE_NOT_FOUND: "not_found",
  CERTIFICATE_NOT_ACTIVE: "illegal_state",
  CERTIFICATE_TRANSITION: "illegal_state",
  ALREADY_FINANCED: "conflict",
  CAP_REACHED: "conflict",
  NO_YEAR_SETTINGS: "illegal_state",
  APPLICATION_NOT_FOUND: "not_found",
  APPLICATION_DECIDED: "illegal_state",
  PROVIDER_NOT_FOUND: "not_found",
  PROVIDER_TRANSITION: "illegal_state",
  PROVIDER_CHECKS_INCOMPLETE: "illegal_state",
  PROVIDER_ALREADY_APPLIED: "conflict",
  TAX_ID_INVALID: "validation",
  MOVE_OUTSIDE_REGION: "validation",
  MOVE_TO_SAME_MUNICIPALITY: "validation",
  BIRTH_DATE_IN_FUTURE: "validation",
  BIRTH_DATE_IMPLAUSIBLE: "validation",
  NOT_YOUR_CHILD: "forbidden",
  NOT_YOUR_RECORD: "forbidden",
  NOT_YOUR_APPLICANT: "forbidden",
} as const satisfies Record<string, ErrorCategory>;

export type RegistryErrorCode = keyof typeof codes;

export const registryError = domainErrors("REGISTRY", codes);
