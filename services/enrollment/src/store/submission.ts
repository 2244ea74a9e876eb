import type { Queryable } from "@kruzhok/postgres";
import type { ActiveEnrollment } from "../domain/application";
import { OPEN_STATUSES } from "./applications";
import { groupColumns, type CertificateRow, type GroupRow, type YearRules } from "./reference";

// What a submission reads, in two statements instead of nine: the first takes the child's lock,
// the second reads what the per-child rules need once the lock is held (a read in the same
// statement as the lock would use a snapshot taken before a concurrent submission committed).

export interface SubmissionStart {
  group: GroupRow | undefined;
  /** The principal's guardian id is a guardian of the child (false without one). */
  isGuardian: boolean;
  /** The child is known (the registry told us of its certificate) and now locked until COMMIT. */
  childLocked: boolean;
  /** The zone of the group's municipality; undefined when enrollment has not heard of it. */
  municipalityZone: string | undefined;
}

/** The group, the guardianship, the municipality's zone, and the child's row lock. */
export async function startSubmission(db: Queryable, childId: string, groupId: string, guardianId: string | null): Promise<SubmissionStart> {
  const { rows } = await db.query<{ group: GroupRow | null; isGuardian: boolean; childLocked: boolean; municipalityZone: string | null }>(
    `WITH child AS (SELECT id FROM children WHERE id = $1 FOR UPDATE)
     SELECT (SELECT row_to_json(g) FROM (SELECT ${groupColumns} FROM groups WHERE id = $2) g) AS "group",
            ($3::uuid IS NOT NULL AND EXISTS (SELECT 1 FROM child_guardians WHERE guardian_id = $3 AND child_id = $1)) AS "isGuardian",
            EXISTS (SELECT 1 FROM child) AS "childLocked",
            (SELECT m.time_zone FROM groups g JOIN municipalities m ON m.id = g.municipality_id WHERE g.id = $2) AS "municipalityZone"`,
    [childId, groupId, guardianId],
  );
  const row = rows[0]!;
  return { group: row.group ?? undefined, isGuardian: row.isGuardian, childLocked: row.childLocked, municipalityZone: row.municipalityZone ?? undefined };
}

export interface ApplicantFacts {
  /** The rules of `year` or of the latest year before it; undefined when none is set. */
  rules: YearRules | undefined;
  certificate: CertificateRow | undefined;
  /** Codes of the child's categories in force on the local day. */
  categories: string[];
  openApplications: { programId: string }[];
  activeEnrollments: ActiveEnrollment[];
  /** The open application transferring the child out of `transferOf`, if any. */
  openTransfer: string | undefined;
}

/** Under the child's lock: everything the per-child rules of `decideApplication` read. */
export async function applicantFacts(
  db: Queryable,
  q: { childId: string; municipalityId: string; year: number; localDay: string; transferOf: string | null },
): Promise<ApplicantFacts> {
  const { rows } = await db.query<{
    rules: YearRules | null;
    certificate: CertificateRow | null;
    categories: string[];
    openPrograms: string[];
    activeEnrollments: ActiveEnrollment[];
    openTransfer: string | null;
  }>(
    `SELECT
       (SELECT json_build_object('year', y.year, 'categories', y.categories, 'maxOpenApplications', y.max_open_applications,
               'offerAcceptanceDays', y.offer_acceptance_days, 'providerReviewWorkingDays', y.provider_review_working_days)
          FROM municipality_years y WHERE y.municipality_id = $2 AND y.year <= $3 ORDER BY y.year DESC LIMIT 1) AS rules,
       (SELECT row_to_json(c) FROM (SELECT id, municipality_id AS "municipalityId", child_id AS "childId", number, birth_year AS "birthYear",
               status, funding, financed_year AS "financedYear" FROM certificates WHERE child_id = $1) c) AS certificate,
       ARRAY(SELECT code FROM child_categories WHERE child_id = $1
                AND (valid_from IS NULL OR valid_from <= $4::date) AND (valid_until IS NULL OR valid_until >= $4::date) ORDER BY code) AS categories,
       ARRAY(SELECT program_id::text FROM applications WHERE child_id = $1 AND status = ANY($5)) AS "openPrograms",
       (SELECT coalesce(json_agg(json_build_object('id', e.id, 'groupId', e.group_id, 'programId', e.program_id,
               'startsOn', to_char(g.starts_on, 'YYYY-MM-DD'), 'endsOn', to_char(g.ends_on, 'YYYY-MM-DD'), 'slots', g.slots)), '[]'::json)
          FROM enrollments e JOIN groups g ON g.id = e.group_id WHERE e.child_id = $1 AND e.status = 'active') AS "activeEnrollments",
       (SELECT id::text FROM applications WHERE transfer_of = $6::uuid AND status = ANY($5) LIMIT 1) AS "openTransfer"`,
    [q.childId, q.municipalityId, q.year, q.localDay, OPEN_STATUSES, q.transferOf],
  );
  const row = rows[0]!;
  return {
    rules: row.rules ?? undefined,
    certificate: row.certificate ?? undefined,
    categories: row.categories,
    openApplications: row.openPrograms.map((programId) => ({ programId })),
    activeEnrollments: row.activeEnrollments,
    openTransfer: row.openTransfer ?? undefined,
  };
}
