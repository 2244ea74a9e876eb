import { domainErrors, type ErrorCategory } from "@kruzhok/errors";

/**
 * Enrollment's closed set of domain errors. Codes are stable (`ENROLLMENT.AGE_OUTSIDE_RANGE`):
 * clients and tests check them, never the message. Each message says why and what to do.
 */
const codes = {
  CERTIFICATE_MISSING: "validation",
  WALK_IN_NOT_MATCHED: "validation",
  CERTIFICATE_SUSPENDED: "validation",
  CERTIFICATE_CLOSED: "validation",
  CERTIFICATE_OTHER_MUNICIPALITY: "validation",
  AGE_OUTSIDE_RANGE: "validation",
  ALREADY_ENROLLED_IN_PROGRAM: "conflict",
  ALREADY_APPLYING_TO_PROGRAM: "conflict",
  TOO_MANY_OPEN_APPLICATIONS: "validation",
  SCHEDULE_CLASH: "validation",
  FINANCING_REFUSED: "validation",
  GROUP_NOT_ACCEPTING: "illegal_state",
  CERTIFICATION_EXPIRED: "illegal_state",
  EXPULSION_REASON_REQUIRED: "validation",
  NOT_EXPELLED: "illegal_state",
  CALENDAR_INVALID: "validation",
  GROUP_NOT_FOUND: "not_found",
  MUNICIPALITY_UNKNOWN: "illegal_state",
  YEAR_SETTINGS_MISSING: "illegal_state",
  APPLICATION_NOT_FOUND: "not_found",
  OFFER_NOT_FOUND: "not_found",
  ENROLLMENT_NOT_FOUND: "not_found",
  NOT_YOUR_CHILD: "forbidden",
  NOT_YOUR_GROUP: "forbidden",
  APPLICATION_NOT_IN_QUEUE: "illegal_state",
  APPLICATION_TRANSITION: "illegal_state",
  REVIEW_DONE: "illegal_state",
  OFFER_NOT_OPEN: "illegal_state",
  OFFER_EXPIRED: "illegal_state",
  ENROLLMENT_NOT_ACTIVE: "illegal_state",
  END_REASON_NOT_ALLOWED: "forbidden",
  SIGNATURE_METHOD: "validation",
  TRANSFER_SAME_GROUP: "validation",
  TRANSFER_PENDING: "conflict",
  GROUP_IN_CAMPAIGN: "illegal_state",
  CAMPAIGN_NOT_FOUND: "not_found",
  CAMPAIGN_WINDOW_INVALID: "validation",
  CAMPAIGN_MAX_CHOICES: "validation",
  CAMPAIGN_GROUP_OTHER_MUNICIPALITY: "validation",
  CAMPAIGN_GROUP_HAS_QUEUE: "conflict",
  CAMPAIGN_GROUP_TAKEN: "conflict",
  CAMPAIGN_NOT_OPEN: "illegal_state",
  CAMPAIGN_CHOICE_INVALID: "validation",
  CAMPAIGN_CHOICES_NOT_FOUND: "not_found",
  CAMPAIGN_NOT_CLOSED: "illegal_state",
  CAMPAIGN_INPUT_NOT_FROZEN: "illegal_state",
} as const satisfies Record<string, ErrorCategory>;

export type EnrollmentErrorCode = keyof typeof codes;

export const enrollmentError = domainErrors("ENROLLMENT", codes);
