import type { Queryable } from "@kruzhok/postgres";
import { minutesOf, type GroupPlan } from "../domain/schedule";
import type { SeatFlips, SlotFlip } from "./search";

export interface GroupRow extends GroupPlan {
  id: string;
  programId: string;
  status: "open" | "closed";
  activeEnrollments: number;
  freeSeats: number;
}

const columns = `g.id, g.program_id AS "programId", g.status, g.capacity, g.active_enrollments AS "activeEnrollments",
  greatest(g.capacity - g.active_enrollments, 0) AS "freeSeats",
  json_build_object('timeZone', g.time_zone, 'slots', g.slots) AS schedule,
  to_char(g.starts_on, 'YYYY-MM-DD') AS "startsOn", to_char(g.ends_on, 'YYYY-MM-DD') AS "endsOn", g.exceptions`;

export async function findGroup(db: Queryable, id: string, forUpdate = false): Promise<GroupRow | undefined> {
  const { rows } = await db.query<GroupRow>(`SELECT ${columns} FROM groups g WHERE g.id = $1${forUpdate ? " FOR UPDATE" : ""}`, [id]);
  return rows[0];
}

export async function listGroups(db: Queryable, programId: string, onlyOpen: boolean): Promise<GroupRow[]> {
  const { rows } = await db.query<GroupRow>(
    `SELECT ${columns} FROM groups g WHERE g.program_id = $1 AND (NOT $2 OR g.status = 'open') ORDER BY g.starts_on, g.id`,
    [programId, onlyOpen],
  );
  return rows;
}

async function writeSlots(db: Queryable, groupId: string, plan: GroupPlan): Promise<void> {
  await db.query("DELETE FROM group_slots WHERE group_id = $1", [groupId]);
  const slots = plan.schedule.slots;
  await db.query(
    `INSERT INTO group_slots (group_id, program_id, municipality_id, weekday, start_minute, end_minute, has_free_seat,
       direction, funding_kind, listed, age_min, age_max)
     SELECT g.id, g.program_id, p.municipality_id, unnest($2::smallint[]), unnest($3::smallint[]), unnest($4::smallint[]),
       g.capacity > g.active_enrollments,
       -- The program's, for the weekday facets (0009); its trigger keeps them when the program changes.
       p.direction, p.funding_kind, p.status = 'published' AND p.provider_approved, p.age_min, p.age_max
     FROM groups g JOIN programs p ON p.id = g.program_id WHERE g.id = $1 AND g.status = 'open'`,
    [groupId, slots.map((s) => s.weekday), slots.map((s) => minutesOf(s.start)), slots.map((s) => minutesOf(s.end))],
  );
}

export async function insertGroup(db: Queryable, g: { id: string; programId: string; plan: GroupPlan }, now: Date): Promise<void> {
  const { plan } = g;
  await db.query(
    `INSERT INTO groups (id, program_id, capacity, time_zone, slots, starts_on, ends_on, exceptions, status, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $9)`,
    [g.id, g.programId, plan.capacity, plan.schedule.timeZone, JSON.stringify(plan.schedule.slots), plan.startsOn, plan.endsOn, JSON.stringify(plan.exceptions), now],
  );
  await writeSlots(db, g.id, plan);
  await refreshProgramSeats(db, g.programId);
}

export async function updateGroupPlan(db: Queryable, id: string, programId: string, plan: GroupPlan, now: Date): Promise<void> {
  await db.query(
    `UPDATE groups SET capacity = $2, time_zone = $3, slots = $4, starts_on = $5, ends_on = $6, exceptions = $7, updated_at = $8 WHERE id = $1`,
    [id, plan.capacity, plan.schedule.timeZone, JSON.stringify(plan.schedule.slots), plan.startsOn, plan.endsOn, JSON.stringify(plan.exceptions), now],
  );
  await writeSlots(db, id, plan);
  await refreshProgramSeats(db, programId);
}

/** Close a group; returns whether it was open. */
export async function markGroupClosed(db: Queryable, id: string, now: Date): Promise<boolean> {
  const result = await db.query<{ programId: string }>(
    `UPDATE groups SET status = 'closed', updated_at = $2 WHERE id = $1 AND status = 'open' RETURNING program_id AS "programId"`,
    [id, now],
  );
  const closed = result.rows[0];
  if (closed) {
    await db.query("DELETE FROM group_slots WHERE group_id = $1", [id]);
    await refreshProgramSeats(db, closed.programId);
  }
  return closed !== undefined;
}

/**
 * After an enrollment took or freed a seat: the group's slots and the program's count follow.
 * Returns what flipped, so that the answer cache keeps away only the answers it alters until the
 * commit is heard of (store/search-cache.ts).
 */
export async function refreshSeats(db: Queryable, groupId: string, programId: string): Promise<SeatFlips> {
  const { rows: slots } = await db.query<SlotFlip>(
    `UPDATE group_slots s SET has_free_seat = g.capacity > g.active_enrollments
     FROM groups g WHERE g.id = $1 AND s.group_id = g.id AND s.has_free_seat <> (g.capacity > g.active_enrollments)
     RETURNING s.weekday, s.start_minute AS start, s.end_minute AS "end"`,
    [groupId],
  );
  return { program: await refreshProgramSeats(db, programId), slots };
}

/** Recount the program's free seats over its open groups (after any group or enrollment change); true when it gained its first free seat or lost its last. */
export async function refreshProgramSeats(db: Queryable, programId: string): Promise<boolean> {
  const { rows } = await db.query<{ flipped: boolean }>(
    `WITH before AS (SELECT free_seats FROM programs WHERE id = $1 FOR UPDATE)
     UPDATE programs p SET free_seats = (SELECT coalesce(sum(greatest(g.capacity - g.active_enrollments, 0)), 0)
       FROM groups g WHERE g.program_id = $1 AND g.status = 'open')
     FROM before WHERE p.id = $1
     RETURNING (before.free_seats > 0) <> (p.free_seats > 0) AS flipped`,
    [programId],
  );
  return rows[0]?.flipped ?? false;
}
