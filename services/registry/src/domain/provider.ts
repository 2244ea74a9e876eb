import { registryError } from "./errors";

export type CheckResult = "pending" | "passed" | "failed";
export interface ProviderChecks {
  staff: CheckResult;
  premises: CheckResult;
  safety: CheckResult;
}

export type ProviderStatus = "applied" | "approved" | "rejected" | "suspended";

export type ProviderKind = "municipal" | "state" | "private" | "entrepreneur";

/** Where a provider's application stands, and why: what the regional authority's decisions change. */
export interface ProviderState {
  status: ProviderStatus;
  checks: ProviderChecks;
  rejectionReasons: string[] | null;
  suspendedReason: string | null;
}

/**
 * A provider's application as it opens: refused when the tax id cannot be the kind's (an
 * individual entrepreneur's INN has 12 digits), otherwise applied with every check pending.
 */
export function decideProviderApplication(application: { kind: ProviderKind; taxId: string }): ProviderState {
  if (!isPlausibleTaxId(application.kind, application.taxId)) {
    throw registryError("TAX_ID_INVALID", "an individual entrepreneur's INN has 12 digits", { field: "taxId" });
  }
  return { status: "applied", checks: { staff: "pending", premises: "pending", safety: "pending" }, rejectionReasons: null, suspendedReason: null };
}

export type ProviderCommand =
  | { kind: "record_checks"; checks: ProviderChecks }
  | { kind: "approve" }
  /** `reasons`/`reason`: the region's words (kept in the registry); `code`: what the events say. */
  | { kind: "reject"; reasons: string[]; code: "checks_failed" | "documents_incomplete" | "licence_invalid" | "other" }
  | { kind: "suspend"; reason: string; code: "complaint" | "safety" | "licence_revoked" | "other" }
  | { kind: "reinstate" };

/**
 * A provider applies, the regional authority records the checks (staff background, premises,
 * safety) and approves only when all three passed; it may reject with reasons, suspend an
 * approved provider, and reinstate a suspended one. Returns the next state.
 */
export function decideProvider(provider: ProviderState, command: ProviderCommand): ProviderState {
  const { status, checks } = provider;
  switch (command.kind) {
    case "record_checks":
      if (status !== "applied") throw illegal(status, "have its checks recorded", "only while the application is open");
      return { ...provider, checks: command.checks };
    case "approve": {
      if (status !== "applied") throw illegal(status, "be approved", "only an open application can be approved");
      const open = (["staff", "premises", "safety"] as const).filter((check) => checks[check] !== "passed");
      if (open.length > 0) {
        throw registryError("PROVIDER_CHECKS_INCOMPLETE", `approval needs every check passed; not passed: ${open.join(", ")}`, { field: "checks" });
      }
      return { ...provider, status: "approved" };
    }
    case "reject":
      if (status !== "applied") throw illegal(status, "be rejected", "only an open application can be rejected");
      return { ...provider, status: "rejected", rejectionReasons: command.reasons };
    case "suspend":
      if (status !== "approved") throw illegal(status, "be suspended", "only an approved provider can be suspended");
      return { ...provider, status: "suspended", suspendedReason: command.reason };
    case "reinstate":
      if (status !== "suspended") throw illegal(status, "be reinstated", "only a suspended provider can be reinstated");
      return { ...provider, status: "approved", suspendedReason: null };
    default: {
      const exhaustive: never = command;
      return exhaustive;
    }
  }
}

function illegal(status: ProviderStatus, what: string, why: string) {
  return registryError("PROVIDER_TRANSITION", `the provider cannot ${what}: ${why} (it is ${status})`, { status });
}

/** Russian INN (10 digits for organisations, 12 for entrepreneurs) or Kazakh BIN/IIN (12 digits). */
export function isPlausibleTaxId(kind: ProviderKind, taxId: string): boolean {
  return kind === "entrepreneur" ? /^\d{12}$/.test(taxId) : /^\d{10}$|^\d{12}$/.test(taxId);
}
