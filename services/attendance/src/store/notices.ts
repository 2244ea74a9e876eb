import type { AbsenceReason } from "@kruzhok/contracts";
import type { Queryable } from "@kruzhok/postgres";
import type { Notice } from "../domain/notices";

export async function insertNotice(
  db: Queryable,
  n: Notice & { municipalityId: string; submittedBy: string; submittedRole: string },
): Promise<void> {
  await db.query(
    `INSERT INTO absence_notices (id, municipality_id, child_id, group_id, reason, from_date, to_date, received_at, on_time, proof_due_on, submitted_by, submitted_role)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [n.id, n.municipalityId, n.childId, n.groupId, n.reason, n.from, n.to, n.receivedAt, n.onTime, n.proofDueOn, n.submittedBy, n.submittedRole],
  );
}

const columns = `id, child_id AS "childId", group_id AS "groupId", reason, to_char(from_date, 'YYYY-MM-DD') AS "from", to_char(to_date, 'YYYY-MM-DD') AS "to",
  received_at AS "receivedAt", on_time AS "onTime", to_char(proof_due_on, 'YYYY-MM-DD') AS "proofDueOn", proof_at AS "proofAt"`;

export type NoticeRow = Notice & { municipalityId: string; proofRef: string | null };

export async function findNotice(db: Queryable, id: string, lock = false): Promise<NoticeRow | undefined> {
  const { rows } = await db.query<NoticeRow>(
    `SELECT ${columns}, municipality_id AS "municipalityId", proof_ref AS "proofRef" FROM absence_notices WHERE id = $1${lock ? " FOR UPDATE" : ""}`,
    [id],
  );
  return rows[0];
}

export async function recordProof(db: Queryable, id: string, ref: string, at: Date): Promise<void> {
  await db.query(`UPDATE absence_notices SET proof_ref = $2, proof_at = $3 WHERE id = $1`, [id, ref, at]);
}

/**
 * Notices that may excuse absences of these children in [first, last]: the children's own (all
 * of their year's vacations too, for the cap) and their groups' quarantines and repairs.
 */
export async function noticesFor(db: Queryable, childIds: readonly string[], groupIds: readonly string[], first: string, last: string): Promise<Notice[]> {
  const { rows } = await db.query<Notice>(
    `SELECT ${columns} FROM absence_notices
     WHERE (child_id = ANY($1::uuid[]) AND ((from_date <= $4 AND to_date >= $3)
             OR (reason = 'vacation' AND from_date <= make_date(extract(year FROM $4::date)::int, 12, 31) AND to_date >= make_date(extract(year FROM $3::date)::int, 1, 1))))
        OR (group_id = ANY($2::uuid[]) AND child_id IS NULL AND from_date <= $4 AND to_date >= $3)`,
    [childIds, groupIds, first, last],
  );
  return rows;
}

export async function noticesOfChild(db: Queryable, childId: string): Promise<(Notice & { reason: AbsenceReason })[]> {
  const { rows } = await db.query<Notice>(`SELECT ${columns} FROM absence_notices WHERE child_id = $1 ORDER BY from_date, received_at`, [childId]);
  return rows;
}
