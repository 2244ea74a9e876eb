import { assertIssuableAge } from "./age";
import { nearDuplicateOf, type DocumentOnFile } from "./documents";
import { registryError } from "./errors";

/** A child applying for a certificate, as known when its application is decided. */
export interface Applicant {
  birthDate: string;
  /** The child's own document. */
  document: Omit<DocumentOnFile, "id">;
  /** The child holds a certificate already. */
  certified: boolean;
  /** The child's earlier application waits for an operator. */
  held: boolean;
  /** Other children of the same name and birth date who hold a certificate. */
  certifiedNamesakes: readonly DocumentOnFile[];
}

/** What an application for a certificate comes to, when it is not refused. */
export type IssuanceDecision =
  | { kind: "issue" }
  /** Held for an operator: `similarChildId` holds a certificate with a document one character apart. */
  | { kind: "hold"; similarChildId: string; reason: string }
  /** The child's application already waits for an operator: that application is the answer. */
  | { kind: "held" };

const HELD_REASON =
  "another child with the same name and birth date already holds a certificate, and their document of the same kind " +
  "differs from this one by one character; an operator will compare the documents and decide";

/** One child, one certificate in the region. */
export const certificateExists = () =>
  registryError("CERTIFICATE_EXISTS", "this child already holds a certificate; one child has one certificate in the region", { field: "childId" });

/**
 * An application for a child's certificate: refused when the child holds one already or is
 * outside 5-17 on the municipality's calendar (`timeZone`) at `now`; answered by the waiting
 * application when one is held; held for an operator when a namesake with a document one
 * character apart holds a certificate (the shape of a known fraud: one child registered twice
 * with a number typed "wrongly" on purpose); issued otherwise.
 */
export function decideIssuance(applicant: Applicant, now: Date, timeZone: string): IssuanceDecision {
  if (applicant.certified) throw certificateExists();
  if (applicant.held) return { kind: "held" };
  assertIssuableAge(applicant.birthDate, now, timeZone);
  const similarChildId = nearDuplicateOf(applicant.document, applicant.certifiedNamesakes);
  return similarChildId ? { kind: "hold", similarChildId, reason: HELD_REASON } : { kind: "issue" };
}

/** An application held for an operator, and how it ended. */
export type ApplicationStatus = "held" | "approved" | "rejected";

/** An operator decides a held application once: approved or rejected, the status it ends in. */
export function decideHeldApplication(status: ApplicationStatus, decision: "approve" | "reject"): Exclude<ApplicationStatus, "held"> {
  if (status !== "held") throw registryError("APPLICATION_DECIDED", `this application was ${status} already; it cannot be decided again`);
  return decision === "approve" ? "approved" : "rejected";
}

/**
 * An approved application issues the certificate only if the child may still have one: none
 * issued meanwhile, and still aged 5-17 (the child may have aged out while the application waited).
 */
export function assertStillIssuable(child: { certified: boolean; birthDate: string }, now: Date, timeZone: string): void {
  if (child.certified) throw registryError("CERTIFICATE_EXISTS", "this child already holds a certificate; reject the application instead");
  assertIssuableAge(child.birthDate, now, timeZone);
}
