import type { DomainError } from "@kruzhok/errors";
import { registryError } from "./errors";

export type Funding = "accounting" | "financed";

/** A certificate's life: active (accounting or financed for a year), suspended, closed. */
export type Certificate =
  | { status: "active"; funding: Funding; financedYear: number | null }
  | { status: "suspended"; funding: Funding; financedYear: number | null; suspendedReason: string }
  | { status: "closed"; funding: Funding; financedYear: number | null; closedReason: ClosedReason };

export type ClosedReason = "turned_18" | "left_region" | "decision";

export type CertificateCommand =
  /** `reason`: the office's words (kept here); `code`: what the events say. */
  | { kind: "suspend"; reason: string; code: "guardian_request" | "documents_check" | "decision" | "other" }
  | { kind: "resume" }
  | { kind: "close"; reason: ClosedReason; comment: string | null }
  | { kind: "move" };

/** The next state, or a domain error that says why the transition is not allowed. */
export function decide(certificate: Certificate, command: CertificateCommand): Certificate {
  switch (command.kind) {
    case "suspend":
      if (certificate.status !== "active") throw transition(certificate, "suspended", "only an active certificate can be suspended");
      return { ...certificate, status: "suspended", suspendedReason: command.reason };
    case "resume":
      if (certificate.status !== "suspended") throw transition(certificate, "resumed", "only a suspended certificate can be resumed");
      return { status: "active", funding: certificate.funding, financedYear: certificate.financedYear };
    case "close":
      if (certificate.status === "closed") throw transition(certificate, "closed", "it is closed already");
      return { status: "closed", funding: certificate.funding, financedYear: certificate.financedYear, closedReason: command.reason };
    case "move":
      if (certificate.status !== "active") throw transition(certificate, "moved", "only an active certificate moves with the child");
      // Financing is the old municipality's budget: the child arrives on accounting status and
      // may be financed by the new municipality under its own cap.
      return { status: "active", funding: "accounting", financedYear: null };
    default: {
      const exhaustive: never = command;
      return exhaustive;
    }
  }
}

function transition(certificate: Certificate, to: string, why: string) {
  return registryError("CERTIFICATE_TRANSITION", `the certificate cannot be ${to}: ${why} (it is ${certificate.status})`, {
    status: certificate.status,
  });
}

export type ConversionRefusal = "cap_reached" | "no_year_settings" | "certificate_not_active" | "already_financed";

/**
 * Why a conversion to financed cannot even be tried, or undefined when it can. With
 * `currentYear` (the municipality's local year), a year that has ended is refused as having no
 * settings: its settings are read-only and its money is spent or gone.
 */
export function conversionObstacle(
  certificate: Certificate,
  year: number,
  currentYear?: number,
): Exclude<ConversionRefusal, "cap_reached"> | undefined {
  if (certificate.status !== "active") return "certificate_not_active";
  if (certificate.funding === "financed" && certificate.financedYear === year) return "already_financed";
  if (currentYear !== undefined && year < currentYear) return "no_year_settings";
  return undefined;
}

/** A refused conversion as the error an HTTP caller gets; the consumer answers with an event instead. */
export function refusalError(reason: ConversionRefusal, year: number): DomainError {
  switch (reason) {
    case "cap_reached":
      return registryError(
        "CAP_REACHED",
        `the municipality has financed as many certificates as its cap allows for ${year}; the certificate stays on accounting status and still works for free programs`,
        { year },
      );
    case "no_year_settings":
      return registryError("NO_YEAR_SETTINGS", `the municipality has no financing settings for ${year}; it must set the year's nominal and cap first`, { year });
    case "certificate_not_active":
      return registryError("CERTIFICATE_NOT_ACTIVE", "only an active certificate can be financed; a suspended one must be resumed first", { year });
    case "already_financed":
      return registryError("ALREADY_FINANCED", `the certificate is already financed for ${year}`, { year });
    default: {
      const exhaustive: never = reason;
      return exhaustive;
    }
  }
}
