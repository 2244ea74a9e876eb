import { registryError } from "./errors";

export type Funding = "accounting" | "financed";

/** A certificate's life: active (accounting or financed for a year), suspended, closed. */
export type Certificate =
  | { status: "active"; funding: Funding; financedYear: number | null }
  | { status: "suspended"; funding: Funding; financedYear: number | null; suspendedReason: string }
  | { status: "closed"; funding: Funding; financedYear: number | null; closedReason: ClosedReason };

export type ClosedReason = "turned_18" | "left_region" | "decision";

export type CertificateCommand =
  | { kind: "suspend"; reason: string }
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

/** Why a conversion to financed cannot even be tried, or undefined when it can. */
export function conversionObstacle(
  certificate: Certificate,
  year: number,
): "certificate_not_active" | "already_financed" | undefined {
  if (certificate.status !== "active") return "certificate_not_active";
  if (certificate.funding === "financed" && certificate.financedYear === year) return "already_financed";
  return undefined;
}
