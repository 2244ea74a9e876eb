import type { PoolClient, Queryable } from "@kruzhok/postgres";
import { localDay } from "../domain/deadlines";
import { lockGroupQueue } from "../store/applications";
import { findEnrollment } from "../store/enrollments";
import { closeGroup, findGroup } from "../store/reference";
import { withdrawOpenApplicationsOfGroup } from "./applications";
import { SYSTEM, closeEnrollment } from "./offers";
import type { Origin } from "./seats";

/**
 * The catalogue closed the group (its provider, or the program was withdrawn): it takes no more
 * applications, so the open ones are withdrawn and open offers lapse. Enrolled children keep
 * their seats: a closed group takes nobody new, but the catalogue still counts its enrolled
 * children and the lessons run to the end date, when the enrollments complete (below, and the
 * sweep). A group closed after its end date completes them at once.
 */
export async function closeGroupOf(tx: PoolClient, groupId: string, now: Date, origin: Origin): Promise<void> {
  await lockGroupQueue(tx, groupId);
  await closeGroup(tx, groupId, now);
  await withdrawOpenApplicationsOfGroup(tx, groupId, now, origin);
  await completeEnrollmentsOfClosedGroup(tx, groupId, now, origin);
}

/**
 * End the active enrollments of a closed group as `completed` once its end date is over in the
 * group's zone (from the local midnight after `endsOn`). An open group past its end date is left
 * as it is: REVIEW: the catalogue closes groups that ran their course; if it ever stops doing so,
 * complete open groups here too.
 */
export async function completeEnrollmentsOfClosedGroup(tx: PoolClient, groupId: string, now: Date, origin: Origin): Promise<number> {
  await lockGroupQueue(tx, groupId);
  const group = await findGroup(tx, groupId);
  if (group?.status !== "closed" || localDay(now, group.timeZone) <= group.endsOn) return 0;
  const { rows } = await tx.query<{ id: string }>("SELECT id FROM enrollments WHERE group_id = $1 AND status = 'active' ORDER BY id", [groupId]);
  for (const { id } of rows) {
    const enrollment = (await findEnrollment(tx, id, true))!;
    await closeEnrollment(tx, enrollment, "completed", SYSTEM, now, origin);
  }
  return rows.length;
}

/** Closed groups whose end date is over and that still have active enrollments. */
export async function closedGroupsPastEnd(db: Queryable, now: Date): Promise<string[]> {
  const { rows } = await db.query<{ groupId: string }>(
    `SELECT g.id AS "groupId" FROM groups g
      WHERE g.status = 'closed' AND g.ends_on < ($1::timestamptz AT TIME ZONE g.time_zone)::date
        AND EXISTS (SELECT 1 FROM enrollments e WHERE e.group_id = g.id AND e.status = 'active')
      ORDER BY 1`,
    [now],
  );
  return rows.map((r) => r.groupId);
}
