import type { Queryable } from "@kruzhok/postgres";

export interface ReviewRow {
  id: string;
  programId: string;
  rating: number;
  text: string;
  createdAt: string;
}

export interface EnrollmentForReview {
  programId: string;
  status: "active" | "ended";
  guardianIds: string[];
  alreadyReviewed: boolean;
}

export async function findEnrollmentForReview(db: Queryable, enrollmentId: string): Promise<EnrollmentForReview | undefined> {
  const { rows } = await db.query<EnrollmentForReview>(
    `SELECT e.program_id AS "programId", e.status,
       coalesce((SELECT array_agg(cg.guardian_id::text) FROM child_guardians cg WHERE cg.child_id = e.child_id), '{}') AS "guardianIds",
       EXISTS (SELECT 1 FROM reviews r WHERE r.enrollment_id = e.id) AS "alreadyReviewed"
     FROM enrollments e WHERE e.id = $1 FOR UPDATE OF e`,
    [enrollmentId],
  );
  return rows[0];
}

/** Store a review and fold it into the program's average; false when the enrollment already has one. */
export async function insertReview(
  db: Queryable,
  r: { id: string; programId: string; enrollmentId: string; guardianId: string; rating: number; text: string },
  now: Date,
): Promise<boolean> {
  const inserted = await db.query(
    `INSERT INTO reviews (id, program_id, enrollment_id, guardian_id, rating, text, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (enrollment_id) DO NOTHING`,
    [r.id, r.programId, r.enrollmentId, r.guardianId, r.rating, r.text, now],
  );
  if (inserted.rowCount !== 1) return false;
  await db.query("UPDATE programs SET rating_sum = rating_sum + $2, rating_count = rating_count + 1 WHERE id = $1", [r.programId, r.rating]);
  return true;
}

export async function listReviews(db: Queryable, programId: string, limit: number): Promise<ReviewRow[]> {
  const { rows } = await db.query<ReviewRow>(
    `SELECT id, program_id AS "programId", rating, text,
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt"
     FROM reviews WHERE program_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
    [programId, limit],
  );
  return rows;
}
