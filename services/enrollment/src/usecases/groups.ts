import type { Cause } from "@kruzhok/messaging";
import type { PoolClient } from "@kruzhok/postgres";
import { localDay } from "../domain/deadlines";
import { lockGroupQueue } from "../store/applications";
import { activeEnrollmentIdsOfGroup, findEnrollment } from "../store/enrollments";
import { upsertProgramTitle } from "../store/notifications";
import { closeGroup, findGroup, upsertGroup, type GroupSnapshot } from "../store/projections";
import { withdrawOpenApplicationsOfGroup } from "./applications";
import { SYSTEM, closeEnrollment } from "./offers";
import { fillSeats } from "./seats";

// Programs and groups as the catalogue announces them.

/** A program's title: messages to families say which program they are about. */
export async function recordProgramTitle(tx: PoolClient, programId: string, title: string, now: Date): Promise<void> {
  await upsertProgramTitle(tx, programId, title, now);
}

/**
 * A group opened or changed (a full snapshot). Its capacity and the offers it allows change
 * together, under the group's queue lock: a raised capacity (or a first snapshot) may free seats
 * for the queue.
 */
export async function recordGroup(tx: PoolClient, group: GroupSnapshot, now: Date, cause: Cause): Promise<void> {
  await lockGroupQueue(tx, group.groupId);
  await upsertGroup(tx, group, now);
  await fillSeats(tx, group.groupId, now, cause);
}

/**
 * The catalogue closed the group (its provider, or the program was withdrawn): it takes no more
 * applications, so the open ones are withdrawn and open offers lapse. Enrolled children keep
 * their seats: a closed group takes nobody new, but the catalogue still counts its enrolled
 * children and the lessons run to the end date, when the enrollments complete (below, and the
 * sweep). A group closed after its end date completes them at once.
 */
export async function closeGroupOf(tx: PoolClient, groupId: string, now: Date, cause: Cause): Promise<void> {
  await lockGroupQueue(tx, groupId);
  await closeGroup(tx, groupId, now);
  await withdrawOpenApplicationsOfGroup(tx, groupId, now, cause);
  await completeEnrollmentsOfClosedGroup(tx, groupId, now, cause);
}

/**
 * End the active enrollments of a closed group as `completed` once its end date is over in the
 * group's zone (from the local midnight after `endsOn`). An open group past its end date is left
 * as it is: REVIEW: the catalogue closes groups that ran their course; if it ever stops doing so,
 * complete open groups here too.
 */
export async function completeEnrollmentsOfClosedGroup(tx: PoolClient, groupId: string, now: Date, cause: Cause): Promise<number> {
  await lockGroupQueue(tx, groupId);
  const group = await findGroup(tx, groupId);
  if (group?.status !== "closed" || localDay(now, group.timeZone) <= group.endsOn) return 0;
  const active = await activeEnrollmentIdsOfGroup(tx, groupId);
  for (const id of active) {
    const enrollment = (await findEnrollment(tx, id, true))!;
    await closeEnrollment(tx, enrollment, "completed", SYSTEM, now, cause);
  }
  return active.length;
}
