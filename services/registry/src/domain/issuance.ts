import { assertIssuableAge } from "./age";
import { registryError } from "./errors";
import { samePersonAs, type PersonOnFile } from "./person-match";

/** A child applying for a certificate, as known when its application is decided. */
export interface Applicant {
  birthDate: string;
  lastName: string;
  firstName: string;
  /** The child holds a certificate already. */
  certified: boolean;
  /** The child's earlier application waits for an operator. */
  held: boolean;
  /** The record was merged by an operator into this child's other record (the one that holds its certificate). */
  mergedInto: string | null;
  /** Other children born the same day who hold a certificate, whatever their names and documents. */
  certifiedSameDay: readonly PersonOnFile[];
}

/** What an application for a certificate comes to, when it is not refused. */
export type IssuanceDecision =
  | { kind: "issue" }
  /** Held for an operator: `similarChildId` holds a certificate and may be this very child. */
  | { kind: "hold"; similarChildId: string; reason: string }
  /** The child's application already waits for an operator: that application is the answer. */
  | { kind: "held" };

// Said to the applicant, so it names nobody: the other child may be a stranger (twins, namesakes).
const HELD_REASON =
  "a child born the same day with the same or a very similar name already holds a certificate, perhaps under another " +
  "document; an operator will compare the records and either merge them (it is the same child) or issue the certificate";

/** One child, one certificate in the region. */
export const certificateExists = () =>
  registryError("CERTIFICATE_EXISTS", "this child already holds a certificate; one child has one certificate in the region", { field: "childId" });

/**
 * An application for a child's certificate: refused when the child holds one already or is
 * outside 5-17 on the municipality's calendar (`timeZone`) at `now`; answered by the waiting
 * application when one is held; held for an operator when a child born the same day whose names
 * match (transliteration, ё/е, one letter apart) holds a certificate, whatever document either
 * was registered with (the shape of a known fraud: one child registered twice, with another kind
 * of document or a name typed "wrongly" on purpose); issued otherwise.
 */
export function decideIssuance(applicant: Applicant, now: Date, timeZone: string): IssuanceDecision {
  if (applicant.mergedInto) {
    throw registryError(
      "CHILD_MERGED",
      `this record was merged by the office into the child's other record ${applicant.mergedInto}, which holds the certificate; use that record`,
      { field: "childId" },
    );
  }
  if (applicant.certified) throw certificateExists();
  if (applicant.held) return { kind: "held" };
  assertIssuableAge(applicant.birthDate, now, timeZone);
  const similar = samePersonAs(applicant, applicant.certifiedSameDay);
  return similar ? { kind: "hold", similarChildId: similar.id, reason: HELD_REASON } : { kind: "issue" };
}

/** An application held for an operator, and how it ended. */
export type ApplicationStatus = "held" | "approved" | "rejected" | "merged";

/** What an operator may decide: another child (issue), not to issue, or the same child (merge the records). */
export type HeldDecision = "approve" | "reject" | "merge";

const decided: Record<HeldDecision, Exclude<ApplicationStatus, "held">> = { approve: "approved", reject: "rejected", merge: "merged" };

/** An operator decides a held application once: the status it ends in. */
export function decideHeldApplication(status: ApplicationStatus, decision: HeldDecision): Exclude<ApplicationStatus, "held"> {
  if (status !== "held") throw registryError("APPLICATION_DECIDED", `this application was ${status} already; it cannot be decided again`);
  return decided[decision];
}

/**
 * The guardians of a child after a duplicate record is merged into it: its own, then the
 * duplicate's not yet among them. A guardian who registered the child twice stays one guardian.
 */
export function mergedGuardians(survivor: readonly string[], duplicate: readonly string[]): string[] {
  return [...new Set([...survivor, ...duplicate])];
}

/**
 * An approved application issues the certificate only if the child may still have one: none
 * issued meanwhile, and still aged 5-17 (the child may have aged out while the application waited).
 */
export function assertStillIssuable(child: { certified: boolean; birthDate: string }, now: Date, timeZone: string): void {
  if (child.certified) throw registryError("CERTIFICATE_EXISTS", "this child already holds a certificate; reject the application instead");
  assertIssuableAge(child.birthDate, now, timeZone);
}
