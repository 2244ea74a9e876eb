/**
 * Who becomes a child's guardian at registration. The office checks the documents of everyone it
 * names, so they are all guardians at once. A guardian registering their own child vouches only
 * for themselves: anyone else they name is invited and becomes a guardian only once they confirm
 * (or the office does), so a stranger cannot be made a co-guardian, nor made to see the child.
 */
export function guardiansAtRegistration(registeredBy: { guardianId: string } | "office", named: readonly string[]): { linked: string[]; invited: string[] } {
  const unique = [...new Set(named)];
  if (registeredBy === "office") return { linked: unique, invited: [] };
  return { linked: [registeredBy.guardianId], invited: unique.filter((id) => id !== registeredBy.guardianId) };
}
