import type { Queryable } from "@kruzhok/postgres";
import type { YearCategory } from "../domain/financing";

// Projections: local copies of what other services announce (the registry's municipalities,
// years and certificates; the catalogue's groups; enrollment's enrollments). Written only by the
// use cases of usecases/projections.ts and usecases/financing.ts.

export interface MunicipalityRow {
  id: string;
  regionCode: string;
  timeZone: string;
  currency: string;
}

export async function upsertMunicipality(db: Queryable, m: MunicipalityRow): Promise<void> {
  await db.query(
    `INSERT INTO municipalities (id, region_code, time_zone, currency) VALUES ($1, $2, $3, $4)
     ON CONFLICT (id) DO UPDATE SET region_code = EXCLUDED.region_code, time_zone = EXCLUDED.time_zone, currency = EXCLUDED.currency`,
    [m.id, m.regionCode, m.timeZone, m.currency],
  );
}

export async function findMunicipality(db: Queryable, id: string): Promise<MunicipalityRow | undefined> {
  const { rows } = await db.query<MunicipalityRow>(`SELECT id, region_code AS "regionCode", time_zone AS "timeZone", currency FROM municipalities WHERE id = $1`, [id]);
  return rows[0];
}

export async function listMunicipalities(db: Queryable): Promise<MunicipalityRow[]> {
  const { rows } = await db.query<MunicipalityRow>(`SELECT id, region_code AS "regionCode", time_zone AS "timeZone", currency FROM municipalities ORDER BY id`);
  return rows;
}

export interface YearRow {
  municipalityId: string;
  year: number;
  nominal: number;
  budget: number;
  financedCap: number;
  categories: YearCategory[];
}

const yearColumns = `municipality_id AS "municipalityId", year, nominal, budget, financed_cap AS "financedCap", categories`;

export async function upsertYear(db: Queryable, y: YearRow): Promise<void> {
  await db.query(
    `INSERT INTO municipality_years (municipality_id, year, nominal, budget, financed_cap, categories) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (municipality_id, year) DO UPDATE SET nominal = EXCLUDED.nominal, budget = EXCLUDED.budget, financed_cap = EXCLUDED.financed_cap, categories = EXCLUDED.categories`,
    [y.municipalityId, y.year, y.nominal, y.budget, y.financedCap, JSON.stringify(y.categories)],
  );
}

/** The year's row, locked: financing decisions of one municipality-year queue behind each other. */
export async function lockYear(db: Queryable, municipalityId: string, year: number): Promise<YearRow | undefined> {
  const { rows } = await db.query<YearRow>(`SELECT ${yearColumns} FROM municipality_years WHERE municipality_id = $1 AND year = $2 FOR UPDATE`, [municipalityId, year]);
  return rows[0];
}

export async function findYear(db: Queryable, municipalityId: string, year: number): Promise<YearRow | undefined> {
  const { rows } = await db.query<YearRow>(`SELECT ${yearColumns} FROM municipality_years WHERE municipality_id = $1 AND year = $2`, [municipalityId, year]);
  return rows[0];
}

export interface CertificateRow {
  id: string;
  municipalityId: string;
  childId: string;
  number: string;
  categories: string[];
  guardianIds: string[];
  status: "accounting" | "financed" | "closed";
}

const certificateColumns = `id, municipality_id AS "municipalityId", child_id AS "childId", number, categories, guardian_ids AS "guardianIds", status`;

export async function upsertCertificate(db: Queryable, c: CertificateRow): Promise<void> {
  await db.query(
    `INSERT INTO certificates (id, municipality_id, child_id, number, categories, guardian_ids, status) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (id) DO UPDATE SET municipality_id = EXCLUDED.municipality_id, guardian_ids = EXCLUDED.guardian_ids`,
    [c.id, c.municipalityId, c.childId, c.number, c.categories, c.guardianIds, c.status],
  );
}

/** The certificate now belongs to another municipality, unfinanced there until that one finances it (a closed one stays closed). */
export async function moveCertificateTo(db: Queryable, id: string, municipalityId: string): Promise<void> {
  await db.query(`UPDATE certificates SET municipality_id = $2, status = CASE WHEN status = 'closed' THEN 'closed' ELSE 'accounting' END WHERE id = $1`, [id, municipalityId]);
}

export async function setCertificateStatus(db: Queryable, id: string, status: CertificateRow["status"]): Promise<void> {
  await db.query(`UPDATE certificates SET status = $2 WHERE id = $1`, [id, status]);
}

/** The child's guardians as the registry now lists them (they read the certificate's account). */
export async function setChildGuardians(db: Queryable, childId: string, guardianIds: readonly string[]): Promise<void> {
  await db.query(`UPDATE certificates SET guardian_ids = $2 WHERE child_id = $1`, [childId, guardianIds]);
}

export async function setChildCategories(db: Queryable, childId: string, categories: readonly string[], proofs: readonly { code: string; validFrom: string; validUntil: string }[]): Promise<void> {
  await db.query(`UPDATE certificates SET categories = $2, category_proofs = $3 WHERE child_id = $1`, [childId, categories, JSON.stringify(proofs)]);
}

export async function familyFactsOf(db: Queryable, childId: string): Promise<{ proofs: { code: string; validFrom: string; validUntil: string }[]; compensationOrder: number | null }> {
  const { rows } = await db.query<{ proofs: { code: string; validFrom: string; validUntil: string }[]; compensationOrder: number | null }>(
    `SELECT category_proofs AS proofs, compensation_order AS "compensationOrder" FROM certificates WHERE child_id = $1`,
    [childId],
  );
  return rows[0] ?? { proofs: [], compensationOrder: null };
}

export async function setCompensationOrder(db: Queryable, certificateId: string, order: number): Promise<void> {
  await db.query(`UPDATE certificates SET compensation_order = $2 WHERE id = $1`, [certificateId, order]);
}

export async function findCertificate(db: Queryable, id: string): Promise<CertificateRow | undefined> {
  const { rows } = await db.query<CertificateRow>(`SELECT ${certificateColumns} FROM certificates WHERE id = $1`, [id]);
  return rows[0];
}

export async function findCertificateOfChild(db: Queryable, childId: string): Promise<CertificateRow | undefined> {
  const { rows } = await db.query<CertificateRow>(`SELECT ${certificateColumns} FROM certificates WHERE child_id = $1`, [childId]);
  return rows[0];
}

export interface GroupRow {
  id: string;
  municipalityId: string;
  programId: string;
  providerId: string;
  pricePerHour: number;
  lessonMinutes: number;
  lessonsPerWeek: number;
  fundingKind: string;
  currency: string;
  /** Null for a group heard of before payments kept it. */
  startsOn: string | null;
  endsOn: string;
}

export async function upsertGroup(db: Queryable, g: GroupRow): Promise<void> {
  await db.query(
    `INSERT INTO groups (id, municipality_id, program_id, provider_id, price_per_hour, lesson_minutes, lessons_per_week, funding_kind, currency, ends_on, starts_on)
     VALUES ($1, $2, $3, $4, $5, $6, $10, $7, $8, $9, $11)
     ON CONFLICT (id) DO UPDATE SET price_per_hour = EXCLUDED.price_per_hour, lesson_minutes = EXCLUDED.lesson_minutes, lessons_per_week = EXCLUDED.lessons_per_week, funding_kind = EXCLUDED.funding_kind,
       currency = EXCLUDED.currency, ends_on = EXCLUDED.ends_on, starts_on = EXCLUDED.starts_on, provider_id = EXCLUDED.provider_id`,
    [g.id, g.municipalityId, g.programId, g.providerId, g.pricePerHour, g.lessonMinutes, g.fundingKind, g.currency, g.endsOn, g.lessonsPerWeek, g.startsOn],
  );
}

export const groupColumns = `id, municipality_id AS "municipalityId", program_id AS "programId", provider_id AS "providerId", price_per_hour AS "pricePerHour",
  lesson_minutes AS "lessonMinutes", lessons_per_week AS "lessonsPerWeek", funding_kind AS "fundingKind", currency,
  to_char(starts_on, 'YYYY-MM-DD') AS "startsOn", to_char(ends_on, 'YYYY-MM-DD') AS "endsOn"`;

export async function findGroup(db: Queryable, id: string): Promise<GroupRow | undefined> {
  const { rows } = await db.query<GroupRow>(
    `SELECT ${groupColumns} FROM groups WHERE id = $1`,
    [id],
  );
  return rows[0];
}

export async function upsertEnrollment(db: Queryable, e: { id: string; municipalityId: string; groupId: string; childId: string; ended: boolean; startedOn?: string }): Promise<void> {
  await db.query(
    `INSERT INTO enrollments (id, municipality_id, group_id, child_id, ended, started_on) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO UPDATE SET ended = enrollments.ended OR EXCLUDED.ended, started_on = coalesce(enrollments.started_on, EXCLUDED.started_on)`,
    [e.id, e.municipalityId, e.groupId, e.childId, e.ended, e.startedOn ?? null],
  );
}

export async function enrollmentStartedOn(db: Queryable, id: string): Promise<string | null> {
  const { rows } = await db.query<{ on: string | null }>(`SELECT to_char(started_on, 'YYYY-MM-DD') AS on FROM enrollments WHERE id = $1`, [id]);
  return rows[0]?.on ?? null;
}

export async function findEnrollment(db: Queryable, id: string): Promise<{ id: string; municipalityId: string; groupId: string; childId: string; ended: boolean } | undefined> {
  const { rows } = await db.query<{ id: string; municipalityId: string; groupId: string; childId: string; ended: boolean }>(
    `SELECT id, municipality_id AS "municipalityId", group_id AS "groupId", child_id AS "childId", ended FROM enrollments WHERE id = $1`,
    [id],
  );
  return rows[0];
}

/** Active enrollments of a municipality whose child holds a certificate (the new year reserves them again). */
export async function activeEnrollmentsOf(db: Queryable, municipalityId: string): Promise<{ id: string; groupId: string; childId: string }[]> {
  const { rows } = await db.query<{ id: string; groupId: string; childId: string }>(
    `SELECT id, group_id AS "groupId", child_id AS "childId" FROM enrollments WHERE municipality_id = $1 AND NOT ended ORDER BY id`,
    [municipalityId],
  );
  return rows;
}
