import type { Currency, Direction, FundingKind } from "@kruzhok/contracts";
import { catalogueError } from "./errors";
import { distantPastBefore, PLAUSIBLE_YEARS_BACK } from "./schedule";

export type ProgramStatus = "draft" | "published" | "withdrawn";
export type ProviderStatus = "approved" | "suspended" | "rejected";

export interface Certification {
  number: string;
  date: string;
  expiry: string;
}

/** What a provider writes about a program; the catalogue adds ids, status and ratings. */
export interface ProgramContent {
  title: string;
  description: string;
  direction: Direction;
  ageRange: { min: number; max: number };
  totalHours: number;
  weeklyHours: number;
  price: { amount: number; currency: Currency };
  fundingKind: FundingKind;
  certification: Certification | null;
  address: { text: string; latitude: number; longitude: number };
  teachers: { publicName: string; qualification: string }[];
}

export interface ProgramContext {
  /** The municipality's currency: a program is priced in it. */
  currency: Currency;
  /** Today on the municipality's calendar, YYYY-MM-DD. */
  today: string;
}

/**
 * The rules a program's content must satisfy whatever its status. The schema has already
 * checked types and bounds (ages 5-17, whole non-negative minor units); these are the rules
 * that relate fields to each other and to the municipality. Throws the first rule broken.
 */
export function checkProgramContent(content: ProgramContent, context: ProgramContext): void {
  if (content.ageRange.min > content.ageRange.max) {
    throw catalogueError("AGE_RANGE_INVERTED", `the youngest age ${content.ageRange.min} is above the oldest ${content.ageRange.max}`, {
      field: "ageRange",
    });
  }
  if (content.weeklyHours > content.totalHours) {
    throw catalogueError("HOURS_INCONSISTENT", "weekly hours cannot exceed the program's total hours", { field: "weeklyHours" });
  }
  if (content.price.currency !== context.currency) {
    throw catalogueError("CURRENCY_MISMATCH", `programs in this municipality are priced in ${context.currency}`, { field: "price.currency" });
  }
  if (content.fundingKind === "financed") checkCertification(content.certification, context.today, "certification");
  else if (content.certification) checkCertificationDates(content.certification, context.today, "certification");
}

/** A financed program needs a certification that is in force on `today` (YYYY-MM-DD, local). */
export function checkCertification(certification: Certification | null, today: string, field: string): asserts certification is Certification {
  if (!certification) {
    throw catalogueError("CERTIFICATION_REQUIRED", "a financed program needs an independent certification: number, date and expiry", { field });
  }
  checkCertificationDates(certification, today, field);
  if (certification.date > today) {
    throw catalogueError("CERTIFICATION_INVALID", `the certification is dated ${certification.date}, after today ${today}`, { field: `${field}.date` });
  }
  if (certification.expiry < today) {
    throw catalogueError("CERTIFICATION_EXPIRED", `the certification expired on ${certification.expiry}; renew it to take certificates`, {
      field: `${field}.expiry`,
    });
  }
}

function checkCertificationDates(certification: Certification, today: string, field: string): void {
  // ISO dates compare as strings.
  if (certification.expiry < certification.date) {
    throw catalogueError("CERTIFICATION_INVALID", "the certification expires before it was issued", { field: `${field}.expiry` });
  }
  if (certification.date < distantPastBefore(today)) {
    throw catalogueError("DATE_IMPLAUSIBLE", `the certification is dated ${certification.date}, more than ${PLAUSIBLE_YEARS_BACK} years ago: check the year`, {
      field: `${field}.date`,
    });
  }
}

/** Groups are prepared in a draft and added to a published program; a withdrawn one takes no new groups. */
export function checkTakesGroups(status: ProgramStatus): void {
  if (status === "withdrawn") throw catalogueError("PROGRAM_WITHDRAWN", "a withdrawn program takes no new groups");
}

export type ProgramCommand = { kind: "edit" } | { kind: "publish" } | { kind: "withdraw" };

export interface ProgramState {
  status: ProgramStatus;
  providerStatus: ProviderStatus;
  fundingKind: FundingKind;
  certification: Certification | null;
}

/**
 * Lifecycle draft -> published -> withdrawn. Only an approved provider publishes; a financed
 * program is published only with a certification in force today. Edits are allowed until the
 * program is withdrawn. Returns the next status.
 */
export function decideProgram(state: ProgramState, command: ProgramCommand, today: string): ProgramStatus {
  switch (command.kind) {
    case "edit":
      if (state.status === "withdrawn") throw catalogueError("PROGRAM_WITHDRAWN", "a withdrawn program cannot be edited");
      return state.status;
    case "publish":
      if (state.status !== "draft") {
        throw catalogueError("PROGRAM_TRANSITION", `only a draft can be published (the program is ${state.status})`, { status: state.status });
      }
      if (state.providerStatus !== "approved") {
        throw catalogueError("PROVIDER_NOT_APPROVED", `only an approved provider publishes programs (the provider is ${state.providerStatus})`);
      }
      if (state.fundingKind === "financed") checkCertification(state.certification, today, "certification");
      return "published";
    case "withdraw":
      if (state.status === "withdrawn") {
        throw catalogueError("PROGRAM_TRANSITION", "the program is already withdrawn", { status: state.status });
      }
      return "withdrawn";
    default: {
      const exhaustive: never = command;
      return exhaustive;
    }
  }
}
