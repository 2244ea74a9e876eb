import type { Queryable } from "@kruzhok/postgres";

export type OfferStatus = "open" | "accepted" | "declined" | "expired";

export interface OfferRow {
  id: string;
  applicationId: string;
  groupId: string;
  municipalityId: string;
  status: OfferStatus;
  madeAt: Date;
  deadlineAt: Date;
  decidedAt: Date | null;
  decidedBy: string | null;
}

const columns = `id, application_id AS "applicationId", group_id AS "groupId", municipality_id AS "municipalityId", status,
  made_at AS "madeAt", deadline_at AS "deadlineAt", decided_at AS "decidedAt", decided_by AS "decidedBy"`;

export async function insertOffer(db: Queryable, o: Omit<OfferRow, "status" | "decidedAt" | "decidedBy">): Promise<void> {
  await db.query(
    `INSERT INTO offers (id, application_id, group_id, municipality_id, status, made_at, deadline_at) VALUES ($1, $2, $3, $4, 'open', $5, $6)`,
    [o.id, o.applicationId, o.groupId, o.municipalityId, o.madeAt, o.deadlineAt],
  );
}

export async function findOffer(db: Queryable, id: string, lock = false): Promise<OfferRow | undefined> {
  const { rows } = await db.query<OfferRow>(`SELECT ${columns} FROM offers WHERE id = $1${lock ? " FOR UPDATE" : ""}`, [id]);
  return rows[0];
}

export async function offersOfApplication(db: Queryable, applicationId: string): Promise<OfferRow[]> {
  const { rows } = await db.query<OfferRow>(`SELECT ${columns} FROM offers WHERE application_id = $1 ORDER BY made_at, id`, [applicationId]);
  return rows;
}

export async function decideOffer(db: Queryable, id: string, status: Exclude<OfferStatus, "open">, by: string | null, now: Date): Promise<void> {
  await db.query("UPDATE offers SET status = $2, decided_at = $3, decided_by = $4 WHERE id = $1", [id, status, now, by]);
}

/** The application's open offer lapses as declined by the system (its application was withdrawn); the ids of those that did. */
export async function declineOpenOffersOf(db: Queryable, applicationId: string, now: Date): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    "UPDATE offers SET status = 'declined', decided_at = $2, decided_by = 'system' WHERE application_id = $1 AND status = 'open' RETURNING id",
    [applicationId, now],
  );
  return rows.map((r) => r.id);
}

/** Groups with open offers past their deadline at `now`. */
export async function groupsWithExpiredOffers(db: Queryable, now: Date): Promise<string[]> {
  const { rows } = await db.query<{ groupId: string }>(
    `SELECT DISTINCT group_id AS "groupId" FROM offers WHERE status = 'open' AND deadline_at <= $1 ORDER BY 1`,
    [now],
  );
  return rows.map((r) => r.groupId);
}

/** Lock and return the group's open offers past their deadline. */
export async function expiredOffersOfGroup(db: Queryable, groupId: string, now: Date): Promise<OfferRow[]> {
  const { rows } = await db.query<OfferRow>(
    `SELECT ${columns} FROM offers WHERE group_id = $1 AND status = 'open' AND deadline_at <= $2 ORDER BY deadline_at, id FOR UPDATE`,
    [groupId, now],
  );
  return rows;
}

/** Seats taken in a group: active enrollments plus open offers (an offer holds its seat until it lapses). */
export async function seatsTaken(db: Queryable, groupId: string): Promise<number> {
  const { rows } = await db.query<{ taken: number }>(
    `SELECT (SELECT count(*) FROM enrollments WHERE group_id = $1 AND status = 'active')::int
          + (SELECT count(*) FROM offers WHERE group_id = $1 AND status = 'open')::int AS taken`,
    [groupId],
  );
  return rows[0]?.taken ?? 0;
}
