import { requireRole, type Actor } from "@kruzhok/actor";
import { pageByIdOf, type Queryable } from "@kruzhok/postgres";
import { enrollmentError } from "../domain/errors";
import { applicationsOfProvider, type ApplicationRow, type ApplicationStatus } from "../store/applications";
import { rosterOfGroup, type EnrollmentRow } from "../store/enrollments";
import { findGroup } from "../store/projections";
import { assertReaches, requireProvider } from "./access";

// What a provider reads to do its job: the applications to its groups and each group's roster.
// Children appear by id: their names, ages and guardians' contacts are the registry's to give
// (GET /providers/{id}/children there), to the provider of a group they applied to.

/** A page of the applications to a provider's own groups, oldest first; another provider's: NOT_YOUR_GROUP. */
export async function providerApplications(
  db: Queryable,
  actor: Actor,
  query: { providerId: string; groupId?: string | undefined; status?: ApplicationStatus | undefined; after?: string | undefined; limit: number },
): Promise<{ items: ApplicationRow[]; nextCursor: string | null }> {
  requireRole(actor, "provider");
  if (actor.providerId !== query.providerId) throw enrollmentError("NOT_YOUR_GROUP", "a provider reads the applications to its own groups only");
  return pageByIdOf(await applicationsOfProvider(db, query.providerId, { ...query, limit: query.limit + 1 }), query.limit);
}

/** The children enrolled in a group today: for its provider, and for the office and region of its municipality. */
export async function groupRoster(db: Queryable, actor: Actor, groupId: string): Promise<EnrollmentRow[]> {
  requireRole(actor, "provider", "operator", "municipality", "region");
  const group = await findGroup(db, groupId);
  if (!group) throw enrollmentError("GROUP_NOT_FOUND", `no group ${groupId}`);
  if (actor.role === "provider") requireProvider(actor, group);
  else await assertReaches(db, actor, group.municipalityId);
  return rosterOfGroup(db, groupId);
}
