import type { Queryable } from "@kruzhok/postgres";
import type { CertificateState, GroupState, Slot } from "../domain/application";

// Enrollment's projections of what registry and catalogue announce: municipalities and their
// yearly rules, certificates, children's guardians and categories, groups. Written only by the
// use cases the consumers call.

export async function upsertMunicipality(db: Queryable, id: string, regionCode: string, timeZone: string, now: Date): Promise<void> {
  await db.query(
    `INSERT INTO municipalities (id, region_code, time_zone, updated_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (id) DO UPDATE SET region_code = EXCLUDED.region_code, time_zone = EXCLUDED.time_zone, updated_at = EXCLUDED.updated_at`,
    [id, regionCode, timeZone, now],
  );
}

/** The region of a municipality as the registry announced it; undefined when not known here. */
export async function regionOfMunicipality(db: Queryable, id: string): Promise<string | undefined> {
  const { rows } = await db.query<{ regionCode: string | null }>(`SELECT region_code AS "regionCode" FROM municipalities WHERE id = $1`, [id]);
  return rows[0]?.regionCode ?? undefined;
}

export interface YearRules {
  year: number;
  categories: string[];
  maxOpenApplications: number;
  offerAcceptanceDays: number;
  providerReviewWorkingDays: number;
}

export async function upsertYear(db: Queryable, municipalityId: string, rules: YearRules): Promise<string[] | undefined> {
  const before = await db.query<{ categories: string[] }>(
    "SELECT categories FROM municipality_years WHERE municipality_id = $1 AND year = $2",
    [municipalityId, rules.year],
  );
  await db.query(
    `INSERT INTO municipality_years (municipality_id, year, categories, max_open_applications, offer_acceptance_days, provider_review_working_days)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (municipality_id, year) DO UPDATE SET categories = EXCLUDED.categories, max_open_applications = EXCLUDED.max_open_applications,
       offer_acceptance_days = EXCLUDED.offer_acceptance_days, provider_review_working_days = EXCLUDED.provider_review_working_days`,
    [municipalityId, rules.year, rules.categories, rules.maxOpenApplications, rules.offerAcceptanceDays, rules.providerReviewWorkingDays],
  );
  return before.rows[0]?.categories;
}

export interface MunicipalityRules extends YearRules {
  municipalityId: string;
  timeZone: string;
}

/**
 * The municipality's zone and the rules of `year` (its local current year), or of the latest
 * year before it when that year is not set yet (rules carry over until the registry sets new).
 */
export async function findRules(db: Queryable, municipalityId: string, year: number): Promise<{ timeZone: string; rules: YearRules | undefined } | undefined> {
  const { rows } = await db.query<{ timeZone: string; rules: YearRules | null }>(
    `SELECT m.time_zone AS "timeZone",
       (SELECT json_build_object('year', y.year, 'categories', y.categories, 'maxOpenApplications', y.max_open_applications,
               'offerAcceptanceDays', y.offer_acceptance_days, 'providerReviewWorkingDays', y.provider_review_working_days)
          FROM municipality_years y WHERE y.municipality_id = m.id AND y.year <= $2 ORDER BY y.year DESC LIMIT 1) AS rules
     FROM municipalities m WHERE m.id = $1`,
    [municipalityId, year],
  );
  const row = rows[0];
  return row && { timeZone: row.timeZone, rules: row.rules ?? undefined };
}

export async function findZone(db: Queryable, municipalityId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ timeZone: string }>(`SELECT time_zone AS "timeZone" FROM municipalities WHERE id = $1`, [municipalityId]);
  return rows[0]?.timeZone;
}

export interface CertificateRow extends CertificateState {
  id: string;
  childId: string;
  number: string;
}

/** The certificate as issued, its child, and the categories it was issued with (guardians: `replaceGuardians`). */
export async function upsertIssuedCertificate(
  db: Queryable,
  c: { id: string; municipalityId: string; childId: string; number: string; birthYear: number; birthDate?: string | undefined; categories: readonly string[] },
  now: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO certificates (id, municipality_id, child_id, number, birth_year, birth_date, status, funding, updated_at)
     VALUES ($1, $2, $3, $4, $5, $7, 'active', 'accounting', $6)
     ON CONFLICT (id) DO NOTHING`,
    [c.id, c.municipalityId, c.childId, c.number, c.birthYear, now, c.birthDate ?? null],
  );
  await db.query("INSERT INTO children (id, updated_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING", [c.childId, now]);
  if (c.categories.length > 0) {
    await db.query(
      "INSERT INTO child_categories (child_id, code) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING",
      [c.childId, c.categories],
    );
  }
}

export async function findCertificateOfChild(db: Queryable, childId: string): Promise<CertificateRow | undefined> {
  const { rows } = await db.query<CertificateRow>(
    `SELECT id, municipality_id AS "municipalityId", child_id AS "childId", number, birth_year AS "birthYear",
            to_char(birth_date, 'YYYY-MM-DD') AS "birthDate", status, funding, financed_year AS "financedYear"
       FROM certificates WHERE child_id = $1`,
    [childId],
  );
  return rows[0];
}

/**
 * The certificates with this number (a walk-in names one): none when enrollment knows of none.
 * The registry makes numbers unique only within a municipality, so all that carry it come back.
 */
export async function certificatesNumbered(db: Queryable, number: string): Promise<CertificateRow[]> {
  const { rows } = await db.query<CertificateRow>(
    `SELECT id, municipality_id AS "municipalityId", child_id AS "childId", number, birth_year AS "birthYear",
            to_char(birth_date, 'YYYY-MM-DD') AS "birthDate", status, funding, financed_year AS "financedYear"
       FROM certificates WHERE number = $1`,
    [number],
  );
  return rows;
}

/** The municipality of the child's certificate; undefined when enrollment knows none. */
export async function municipalityOfChild(db: Queryable, childId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ municipalityId: string }>(`SELECT municipality_id AS "municipalityId" FROM certificates WHERE child_id = $1`, [childId]);
  return rows[0]?.municipalityId;
}

/** The child a certificate was issued to; undefined when enrollment knows no such certificate. */
export async function childOfCertificate(db: Queryable, certificateId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ childId: string }>(`SELECT child_id AS "childId" FROM certificates WHERE id = $1`, [certificateId]);
  return rows[0]?.childId;
}

export async function setCertificate(
  db: Queryable,
  id: string,
  change: { status?: "active" | "suspended" | "closed"; funding?: "financed"; financedYear?: number; municipalityId?: string },
  now: Date,
): Promise<void> {
  await db.query(
    `UPDATE certificates SET status = coalesce($2, status), funding = coalesce($3, funding), financed_year = coalesce($4, financed_year),
            municipality_id = coalesce($5, municipality_id), updated_at = $6
      WHERE id = $1`,
    [id, change.status ?? null, change.funding ?? null, change.financedYear ?? null, change.municipalityId ?? null, now],
  );
}

/** Lock the child: every application and acceptance of one child runs one at a time. */
export async function lockChild(db: Queryable, childId: string): Promise<boolean> {
  const { rowCount } = await db.query("SELECT 1 FROM children WHERE id = $1 FOR UPDATE", [childId]);
  return rowCount === 1;
}

/**
 * The child's guardians become exactly `guardianIds` (the registry announces the whole list);
 * returns how many guardianships ended, each a guardian who may no longer act for the child.
 */
export async function replaceGuardians(db: Queryable, childId: string, guardianIds: readonly string[]): Promise<number> {
  const { rows } = await db.query<{ removed: number }>(
    `WITH removed AS (DELETE FROM child_guardians WHERE child_id = $1 AND NOT (guardian_id = ANY($2::uuid[])) RETURNING 1),
     added AS (INSERT INTO child_guardians (child_id, guardian_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING RETURNING 1)
     SELECT (SELECT count(*) FROM removed)::int AS removed, (SELECT count(*) FROM added)::int AS added`,
    [childId, guardianIds],
  );
  return rows[0]?.removed ?? 0;
}

export async function isGuardianOf(db: Queryable, guardianId: string, childId: string): Promise<boolean> {
  const { rowCount } = await db.query("SELECT 1 FROM child_guardians WHERE guardian_id = $1 AND child_id = $2", [guardianId, childId]);
  return rowCount === 1;
}

export async function replaceCategories(
  db: Queryable,
  childId: string,
  categories: readonly { code: string; validFrom: string; validUntil: string }[],
  now: Date,
): Promise<void> {
  await db.query("INSERT INTO children (id, updated_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING", [childId, now]);
  await db.query("DELETE FROM child_categories WHERE child_id = $1", [childId]);
  for (const c of categories) {
    await db.query(
      "INSERT INTO child_categories (child_id, code, valid_from, valid_until) VALUES ($1, $2, $3, $4) ON CONFLICT (child_id, code) DO UPDATE SET valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until",
      [childId, c.code, c.validFrom, c.validUntil],
    );
  }
}

/** Codes of the child's categories in force on the local date `on`. */
export async function categoriesOn(db: Queryable, childId: string, on: string): Promise<string[]> {
  const { rows } = await db.query<{ code: string }>(
    `SELECT code FROM child_categories WHERE child_id = $1
        AND (valid_from IS NULL OR valid_from <= $2::date) AND (valid_until IS NULL OR valid_until >= $2::date) ORDER BY code`,
    [childId, on],
  );
  return rows.map((r) => r.code);
}

export interface GroupRow extends GroupState {
  providerId: string;
  capacity: number;
  timeZone: string;
}

export const groupColumns = `id, municipality_id AS "municipalityId", program_id AS "programId", provider_id AS "providerId", capacity,
  time_zone AS "timeZone", slots, to_char(starts_on, 'YYYY-MM-DD') AS "startsOn", to_char(ends_on, 'YYYY-MM-DD') AS "endsOn",
  age_min AS "ageMin", age_max AS "ageMax", funding_kind AS "fundingKind", accepting, status,
  to_char(certification_expires_on, 'YYYY-MM-DD') AS "certificationExpiresOn"`;

/** What a family calls each group: its program's title (null before the catalogue announced it) and its lesson times. */
export async function groupLabels(
  db: Queryable,
  ids: readonly string[],
): Promise<{ id: string; programTitle: string | null; slots: { weekday: number; start: string; end: string }[] }[]> {
  const { rows } = await db.query<{ id: string; programTitle: string | null; slots: { weekday: number; start: string; end: string }[] }>(
    `SELECT g.id, nullif(p.title, '') AS "programTitle", g.slots FROM groups g LEFT JOIN programs p ON p.id = g.program_id WHERE g.id = ANY($1::uuid[])`,
    [ids],
  );
  return rows;
}

export async function findGroup(db: Queryable, id: string): Promise<GroupRow | undefined> {
  const { rows } = await db.query<GroupRow>(`SELECT ${groupColumns} FROM groups WHERE id = $1`, [id]);
  return rows[0];
}

export interface GroupSnapshot {
  groupId: string;
  municipalityId: string;
  programId: string;
  providerId: string;
  capacity: number;
  timeZone: string;
  slots: readonly Slot[];
  startsOn: string;
  endsOn: string;
  ageMin: number;
  ageMax: number;
  fundingKind: string;
  accepting: boolean;
  certificationExpiresOn: string | null;
}

/** Upsert a group's snapshot; returns its capacity before (undefined for a new group). */
export async function upsertGroup(db: Queryable, g: GroupSnapshot, now: Date): Promise<number | undefined> {
  const before = await db.query<{ capacity: number }>("SELECT capacity FROM groups WHERE id = $1 FOR UPDATE", [g.groupId]);
  await db.query(
    `INSERT INTO groups (id, municipality_id, program_id, provider_id, capacity, time_zone, slots, starts_on, ends_on, age_min, age_max,
                         funding_kind, accepting, status, updated_at, certification_expires_on)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'open', $14, $15)
     ON CONFLICT (id) DO UPDATE SET municipality_id = EXCLUDED.municipality_id, program_id = EXCLUDED.program_id,
       provider_id = EXCLUDED.provider_id, capacity = EXCLUDED.capacity, time_zone = EXCLUDED.time_zone, slots = EXCLUDED.slots,
       starts_on = EXCLUDED.starts_on, ends_on = EXCLUDED.ends_on, age_min = EXCLUDED.age_min, age_max = EXCLUDED.age_max,
       funding_kind = EXCLUDED.funding_kind, accepting = EXCLUDED.accepting, status = 'open', updated_at = EXCLUDED.updated_at,
       certification_expires_on = EXCLUDED.certification_expires_on`,
    [g.groupId, g.municipalityId, g.programId, g.providerId, g.capacity, g.timeZone, JSON.stringify(g.slots), g.startsOn, g.endsOn,
      g.ageMin, g.ageMax, g.fundingKind, g.accepting, now, g.certificationExpiresOn],
  );
  return before.rows[0]?.capacity;
}

export async function closeGroup(db: Queryable, id: string, now: Date): Promise<void> {
  await db.query("UPDATE groups SET status = 'closed', accepting = false, updated_at = $2 WHERE id = $1", [id, now]);
}
