import type { Queryable } from "@kruzhok/postgres";

// Which provider may read which child (migration 0010): the relation enrollment's events make.

export interface ApplicantRef {
  applicationId: string;
  providerId: string;
  childId: string;
  groupId: string;
}

/** An application was submitted: its provider may read the child, unless the row says it ended already. */
export async function recordApplied(db: Queryable, a: ApplicantRef, now: Date): Promise<void> {
  await db.query(
    `INSERT INTO provider_applicants (application_id, provider_id, child_id, group_id, state, updated_at)
     VALUES ($1, $2, $3, $4, 'applied', $5) ON CONFLICT (application_id) DO NOTHING`,
    [a.applicationId, a.providerId, a.childId, a.groupId, now],
  );
}

/** The child is enrolled through the application (its contract signed); an ended one stays ended. */
export async function recordEnrolled(db: Queryable, a: ApplicantRef & { enrollmentId: string }, now: Date): Promise<void> {
  await db.query(
    `INSERT INTO provider_applicants AS p (application_id, provider_id, child_id, group_id, enrollment_id, state, updated_at)
     VALUES ($1, $2, $3, $4, $5, 'enrolled', $6)
     ON CONFLICT (application_id) DO UPDATE SET enrollment_id = EXCLUDED.enrollment_id,
       state = CASE WHEN p.state = 'closed' THEN 'closed' ELSE 'enrolled' END, updated_at = EXCLUDED.updated_at`,
    [a.applicationId, a.providerId, a.childId, a.groupId, a.enrollmentId, now],
  );
}

/** The application ended without an enrollment (refused, rejected, withdrawn, its offer lapsed). */
export async function recordApplicationClosed(db: Queryable, a: ApplicantRef, now: Date): Promise<void> {
  await db.query(
    `INSERT INTO provider_applicants (application_id, provider_id, child_id, group_id, state, updated_at)
     VALUES ($1, $2, $3, $4, 'closed', $5)
     ON CONFLICT (application_id) DO UPDATE SET state = 'closed', updated_at = EXCLUDED.updated_at`,
    [a.applicationId, a.providerId, a.childId, a.groupId, now],
  );
}

/** The enrollment ended (its contract signed first: both travel under the enrollment's key). */
export async function recordEnrollmentEnded(db: Queryable, enrollmentId: string, now: Date): Promise<void> {
  await db.query("UPDATE provider_applicants SET state = 'closed', updated_at = $2 WHERE enrollment_id = $1", [enrollmentId, now]);
}

export interface ApplicantCard {
  id: string;
  municipalityId: string;
  firstName: string;
  lastName: string;
  patronymic: string | null;
  birthDate: string;
  timeZone: string;
  guardians: { id: string; firstName: string; lastName: string; patronymic: string | null; phone: string | null; email: string | null }[];
  /** What the provider has with the child: its open applications and enrollments, by group. */
  relations: { applicationId: string; groupId: string; state: "applied" | "enrolled"; enrollmentId: string | null }[];
}

/**
 * The children a provider has an open application from or an enrollment with (one child, when
 * `childId` is given), by name, `limit` after the child `after` in id order.
 */
export async function applicantsOf(db: Queryable, providerId: string, page: { childId?: string | undefined; after?: string | undefined; limit: number }): Promise<ApplicantCard[]> {
  const { rows } = await db.query<ApplicantCard>(
    `WITH related AS (
       SELECT child_id, json_agg(json_build_object('applicationId', application_id, 'groupId', group_id, 'state', state, 'enrollmentId', enrollment_id)
                                 ORDER BY application_id) AS relations
         FROM provider_applicants
        WHERE provider_id = $1 AND state <> 'closed' AND ($2::uuid IS NULL OR child_id = $2) AND ($3::uuid IS NULL OR child_id > $3)
        GROUP BY child_id ORDER BY child_id LIMIT $4)
     SELECT c.id, c.municipality_id AS "municipalityId", c.first_name AS "firstName", c.last_name AS "lastName", c.patronymic,
            to_char(c.birth_date, 'YYYY-MM-DD') AS "birthDate", m.time_zone AS "timeZone",
            COALESCE((SELECT json_agg(json_build_object('id', g.id, 'firstName', g.first_name, 'lastName', g.last_name, 'patronymic', g.patronymic,
                                                        'phone', g.phone, 'email', g.email) ORDER BY g.last_name, g.id)
                        FROM child_guardians cg JOIN guardians g ON g.id = cg.guardian_id WHERE cg.child_id = c.id), '[]') AS guardians,
            r.relations
       FROM related r JOIN children c ON c.id = r.child_id JOIN municipalities m ON m.id = c.municipality_id
      ORDER BY c.id`,
    [providerId, page.childId ?? null, page.after ?? null, page.limit],
  );
  return rows;
}
