// Who may open a page: everyone, anyone signed in, or the roles named (joined by "+": the
// region's and the ministry's dashboard is "region+ministry").
export type Role = "guardian" | "provider" | "operator" | "municipality" | "region" | "ministry";
export type Access = "public" | "any-signed-in" | Role | `${Role}+${Role}`;
export const ROLES: readonly Role[] = ["guardian", "provider", "operator", "municipality", "region", "ministry"];

/** The roles a guarded page is for; empty for public pages and any signed-in person's. */
export function ownersOf(access: Access): Role[] {
  if (access === "public" || access === "any-signed-in") return [];
  return access.split("+") as Role[];
}
