import { domainErrors, type ErrorCategory } from "@kruzhok/errors";

/**
 * Attendance's closed set of domain errors. Codes are stable: clients and tests check them.
 * Each message says what to fix.
 */
const codes = {
  LESSON_NOT_IN_MONTH: "validation",
  DUPLICATE_CHILD: "validation",
  DATES_INVERTED: "validation",
  NOTICE_TOO_LONG: "validation",
  NOTICE_SUBJECT: "validation",
  LESSON_TIME_INVALID: "validation",
  RULES_INVALID: "validation",
  MONTH_NOT_ENDED: "validation",
  GROUP_NOT_FOUND: "not_found",
  MUNICIPALITY_UNKNOWN: "not_found",
  MARK_NOT_FOUND: "not_found",
  NOTICE_NOT_FOUND: "not_found",
  CHILD_UNKNOWN: "not_found",
  NOT_YOUR_GROUP: "forbidden",
  NOT_YOUR_CHILD: "forbidden",
  NOT_ON_ROSTER: "illegal_state",
  LESSON_NOT_STARTED: "illegal_state",
  MONTH_CLOSED: "illegal_state",
  MONTH_NOT_CLOSED: "illegal_state",
  GROUP_CLOSED: "illegal_state",
  NOT_DISPUTED: "illegal_state",
  PROOF_NOT_NEEDED: "illegal_state",
} as const satisfies Record<string, ErrorCategory>;

export type AttendanceErrorCode = keyof typeof codes;

export const attendanceError = domainErrors("ATTENDANCE", codes);
