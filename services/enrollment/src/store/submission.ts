import type { Queryable } from "@kruzhok/postgres";
import type { ActiveEnrollment } from "../domain/application";
import { OPEN_STATUSES, QUEUE_STATUSES, applicationColumns, type ApplicationRow, type NewApplicationRow } from "./applications";
import { groupColumns, type CertificateRow, type GroupRow, type YearRules } from "./projections";

// What submissions read and write, in a few statements whatever their number (several
// submissions share a transaction, see usecases/submission-batcher.ts): the first takes the
// children's locks, the second takes the groups' queue locks and reads what the per-child rules
// need once the children's locks are held (a read in the same statement as a lock would use a
// snapshot taken before a concurrent submission committed), the third inserts.

export interface SubmissionKey {
  childId: string;
  groupId: string;
  /** The acting guardian, whose guardianship is checked; null for an operator. */
  guardianId: string | null;
}

export interface SubmissionStart {
  group: GroupRow | undefined;
  /** The actor's guardian id is a guardian of the child (false without one). */
  isGuardian: boolean;
  /** The child is known (the registry told us of its certificate) and now locked until COMMIT. */
  childLocked: boolean;
  /** The zone of the group's municipality; undefined when enrollment has not heard of it. */
  municipalityZone: string | undefined;
}

/**
 * For each key, in order: the group, the guardianship, the municipality's zone; and the row
 * lock of every child, taken in id order (so that two transactions locking several children
 * never wait on each other).
 */
export async function startSubmissions(db: Queryable, keys: readonly SubmissionKey[]): Promise<SubmissionStart[]> {
  const { rows } = await db.query<{ group: GroupRow | null; isGuardian: boolean; childLocked: boolean; municipalityZone: string | null }>(
    `WITH locked AS MATERIALIZED (
       SELECT coalesce(array_agg(id), '{}') AS ids FROM (SELECT id FROM children WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE) c),
     input AS (SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) WITH ORDINALITY AS t(child_id, group_id, guardian_id, n))
     SELECT (SELECT row_to_json(g) FROM (SELECT ${groupColumns} FROM groups WHERE id = i.group_id) g) AS "group",
            (i.guardian_id IS NOT NULL AND EXISTS (SELECT 1 FROM child_guardians WHERE guardian_id = i.guardian_id AND child_id = i.child_id)) AS "isGuardian",
            (SELECT i.child_id = ANY (ids) FROM locked) AS "childLocked",
            (SELECT m.time_zone FROM groups g JOIN municipalities m ON m.id = g.municipality_id WHERE g.id = i.group_id) AS "municipalityZone"
       FROM input i ORDER BY i.n`,
    [keys.map((k) => k.childId), keys.map((k) => k.groupId), keys.map((k) => k.guardianId)],
  );
  return rows.map((row) => ({
    group: row.group ?? undefined,
    isGuardian: row.isGuardian,
    childLocked: row.childLocked,
    municipalityZone: row.municipalityZone ?? undefined,
  }));
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

export interface ApplicantQuery {
  childId: string;
  municipalityId: string;
  year: number;
  localDay: string;
  transferOf: string | null;
}

export interface CampaignBlock {
  groupId: string;
  campaignId: string;
  closesAt: Date;
}

/**
 * Under the children's locks: for each query, in order, everything the per-child rules of
 * `decideApplication` read. First the queue locks of `lockGroups` are taken, in the order given
 * (sorted by the caller, as `lockGroupQueues` does) and held until COMMIT, and the groups of
 * them still in a campaign not yet drawn are read: a campaign that committed while this waited
 * for a lock is missed here, so the INSERT checks again (`insertApplications`).
 */
export async function applicantFacts(
  db: Queryable,
  queries: readonly ApplicantQuery[],
  lockGroups: readonly string[],
): Promise<{ facts: ApplicantFacts[]; campaigns: CampaignBlock[] }> {
  const { rows } = await db.query<{
    rules: YearRules | null;
    certificate: CertificateRow | null;
    categories: string[];
    openPrograms: string[];
    activeEnrollments: ActiveEnrollment[];
    openTransfer: string | null;
    campaigns: { groupId: string; campaignId: string; closesAt: string }[] | null;
  }>(
    `WITH queue_locks AS MATERIALIZED (
       SELECT count(pg_advisory_xact_lock(hashtextextended('enrollment.queue:' || g::text, 0))) AS n FROM unnest($7::uuid[]) AS g),
     campaigns AS MATERIALIZED (
       SELECT json_agg(json_build_object('groupId', g.group_id, 'campaignId', c.id, 'closesAt', c.closes_at)) AS list
         FROM campaign_groups g JOIN campaigns c ON c.id = g.campaign_id
        WHERE g.group_id = ANY($7::uuid[]) AND NOT g.drawn),
     input AS (SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::date[], $6::uuid[]) WITH ORDINALITY AS t(child_id, municipality_id, year, local_day, transfer_of, n))
     SELECT
       (SELECT json_build_object('year', y.year, 'categories', y.categories, 'maxOpenApplications', y.max_open_applications,
               'offerAcceptanceDays', y.offer_acceptance_days, 'providerReviewWorkingDays', y.provider_review_working_days)
          FROM municipality_years y WHERE y.municipality_id = i.municipality_id AND y.year <= i.year ORDER BY y.year DESC LIMIT 1) AS rules,
       (SELECT row_to_json(c) FROM (SELECT id, municipality_id AS "municipalityId", child_id AS "childId", number, birth_year AS "birthYear",
               to_char(birth_date, 'YYYY-MM-DD') AS "birthDate", status, funding, financed_year AS "financedYear" FROM certificates WHERE child_id = i.child_id) c) AS certificate,
       ARRAY(SELECT code FROM child_categories WHERE child_id = i.child_id
                AND (valid_from IS NULL OR valid_from <= i.local_day) AND (valid_until IS NULL OR valid_until >= i.local_day) ORDER BY code) AS categories,
       ARRAY(SELECT program_id::text FROM applications WHERE child_id = i.child_id AND status = ANY($5)) AS "openPrograms",
       (SELECT coalesce(json_agg(json_build_object('id', e.id, 'groupId', e.group_id, 'programId', e.program_id,
               'startsOn', to_char(g.starts_on, 'YYYY-MM-DD'), 'endsOn', to_char(g.ends_on, 'YYYY-MM-DD'), 'slots', g.slots)), '[]'::json)
          FROM enrollments e JOIN groups g ON g.id = e.group_id WHERE e.child_id = i.child_id AND e.status = 'active') AS "activeEnrollments",
       (SELECT id::text FROM applications WHERE i.transfer_of IS NOT NULL AND transfer_of = i.transfer_of AND status = ANY($5) LIMIT 1) AS "openTransfer",
       (SELECT list FROM campaigns) AS campaigns,
       -- In the output, so that the locks are taken whatever the plan reads (the input is never empty).
       (SELECT n FROM queue_locks) AS "queueLocks"
       FROM input i ORDER BY i.n`,
    [
      queries.map((q) => q.childId),
      queries.map((q) => q.municipalityId),
      queries.map((q) => q.year),
      queries.map((q) => q.localDay),
      OPEN_STATUSES,
      queries.map((q) => q.transferOf),
      lockGroups,
    ],
  );
  const campaigns = (rows[0]?.campaigns ?? []).map((c) => ({ groupId: c.groupId, campaignId: c.campaignId, closesAt: new Date(c.closesAt) }));
  const facts = rows.map((row) => ({
    rules: row.rules ?? undefined,
    certificate: row.certificate ?? undefined,
    categories: row.categories,
    openApplications: row.openPrograms.map((programId) => ({ programId })),
    activeEnrollments: row.activeEnrollments,
    openTransfer: row.openTransfer ?? undefined,
  }));
  return { facts, campaigns };
}

/**
 * Insert the applications, in the order given, with `accepted_at = clock_timestamp()` read row
 * by row as each is inserted: the caller holds their groups' queue locks (`applicantFacts`), so
 * no other transaction can commit into these queues before this one, and within one group the
 * order of the instants is the order of the rows. Rows of a group that is now in a campaign not
 * yet drawn (announced while this waited for the lock) are not inserted: the caller finds them
 * missing from the result.
 *
 * Each row also gets, up to `upTo`, the number of waiting applications of its group with the
 * same or a higher category that were there before this statement (ahead of it): it does not
 * count the rows inserted here, so it errs towards "near the head", the safe side for the
 * position notices.
 */
export async function insertApplications(
  db: Queryable,
  applications: readonly (NewApplicationRow & { createdAt: Date })[],
  upTo: number,
): Promise<(ApplicationRow & { aheadUpTo: number })[]> {
  const col = <K extends keyof NewApplicationRow | "createdAt">(key: K) => applications.map((a) => a[key]);
  const { rows } = await db.query<ApplicationRow & { aheadUpTo: number }>(
    `WITH input AS (
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::uuid[], $7::uuid[], $8::uuid[], $9::text[], $10::text[],
                            $11::text[], $12::timestamptz[], $13::text[], $14::int[], $15::text[], $16::uuid[], $17::timestamptz[])
         AS t(id, municipality_id, group_id, program_id, provider_id, child_id, certificate_id, guardian_id, submitted_by, submitted_role,
              status, review_due_at, category_code, category_rank, conversion_request_id, transfer_of, created_at)),
     inserted AS (
       INSERT INTO applications (id, municipality_id, group_id, program_id, provider_id, child_id, certificate_id, guardian_id, submitted_by,
                                 submitted_role, status, review, review_due_at, category_code, category_rank, accepted_at,
                                 conversion_request_id, transfer_of, created_at, updated_at)
       SELECT id, municipality_id, group_id, program_id, provider_id, child_id, certificate_id, guardian_id, submitted_by,
              submitted_role, status, 'pending', review_due_at, category_code, category_rank, clock_timestamp(),
              conversion_request_id, transfer_of, created_at, created_at
         FROM input
        WHERE NOT EXISTS (SELECT 1 FROM campaign_groups c WHERE c.group_id = input.group_id AND NOT c.drawn)
       RETURNING ${applicationColumns})
     SELECT inserted.*,
            (SELECT count(*)::int FROM (SELECT 1 FROM applications a
                WHERE a.group_id = inserted."groupId" AND a.status = ANY($18) AND a.category_rank <= inserted."categoryRank" LIMIT $19) ahead) AS "aheadUpTo"
       FROM inserted`,
    [
      col("id"),
      col("municipalityId"),
      col("groupId"),
      col("programId"),
      col("providerId"),
      col("childId"),
      col("certificateId"),
      col("guardianId"),
      col("submittedBy"),
      col("submittedRole"),
      col("status"),
      col("reviewDueAt"),
      col("categoryCode"),
      col("categoryRank"),
      col("conversionRequestId"),
      col("transferOf"),
      col("createdAt"),
      QUEUE_STATUSES,
      upTo,
    ],
  );
  return rows;
}
