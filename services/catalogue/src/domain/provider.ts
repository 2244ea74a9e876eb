import type { ProviderStatus } from "./program";

/** Why a provider's open groups are announced again after the registry changed its status. */
export type ProviderGroupsChange = "provider_suspended" | "provider_reinstated";

/**
 * A suspension stops every open group of the provider's published programs taking applications
 * at once, so enrollment must hear of each; reinstatement (approved after a suspension) opens
 * them again. Any other change (a first approval, the same status again) announces nothing.
 */
export function decideProviderGroups(before: ProviderStatus | undefined, after: ProviderStatus): ProviderGroupsChange | null {
  if (after === "suspended" && before === "approved") return "provider_suspended";
  if (after === "approved" && before === "suspended") return "provider_reinstated";
  return null;
}
