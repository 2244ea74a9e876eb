import { registryError } from "./errors";

export type CheckResult = "pending" | "passed" | "failed";
export interface ProviderChecks {
  staff: CheckResult;
  premises: CheckResult;
  safety: CheckResult;
}

export type ProviderStatus = "applied" | "approved" | "rejected" | "suspended";

export type ProviderCommand =
  | { kind: "record_checks"; checks: ProviderChecks }
  | { kind: "approve" }
  | { kind: "reject"; reasons: string[] }
  | { kind: "suspend"; reason: string }
  | { kind: "reinstate" };

/**
 * A provider applies, the regional authority records the checks (staff background, premises,
 * safety) and approves only when all three passed; it may reject with reasons, suspend an
 * approved provider, and reinstate a suspended one. Returns the next status.
 */
export function decideProvider(status: ProviderStatus, checks: ProviderChecks, command: ProviderCommand): ProviderStatus {
  switch (command.kind) {
    case "record_checks":
      if (status !== "applied") throw illegal(status, "have its checks recorded", "only while the application is open");
      return status;
    case "approve": {
      if (status !== "applied") throw illegal(status, "be approved", "only an open application can be approved");
      const open = (["staff", "premises", "safety"] as const).filter((check) => checks[check] !== "passed");
      if (open.length > 0) {
        throw registryError("PROVIDER_CHECKS_INCOMPLETE", `approval needs every check passed; not passed: ${open.join(", ")}`, { field: "checks" });
      }
      return "approved";
    }
    case "reject":
      if (status !== "applied") throw illegal(status, "be rejected", "only an open application can be rejected");
      return "rejected";
    case "suspend":
      if (status !== "approved") throw illegal(status, "be suspended", "only an approved provider can be suspended");
      return "suspended";
    case "reinstate":
      if (status !== "suspended") throw illegal(status, "be reinstated", "only a suspended provider can be reinstated");
      return "approved";
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
export function isPlausibleTaxId(kind: "municipal" | "state" | "private" | "entrepreneur", taxId: string): boolean {
  return kind === "entrepreneur" ? /^\d{12}$/.test(taxId) : /^\d{10}$|^\d{12}$/.test(taxId);
}
