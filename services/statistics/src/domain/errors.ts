import { domainErrors, type ErrorCategory } from "@kruzhok/errors";

/** Statistics' closed set of domain errors. Codes are stable: clients and tests check them. */
const codes = {
  SCOPE_REQUIRED: "validation",
  PERIOD_INVERTED: "validation",
  OTHER_REGION: "forbidden",
  NOT_AGGREGATE_READER: "forbidden",
  MUNICIPALITY_UNKNOWN: "not_found",
} as const satisfies Record<string, ErrorCategory>;

export type StatisticsErrorCode = keyof typeof codes;

export const statisticsError = domainErrors("STATISTICS", codes);
