import type { Queryable } from "@kruzhok/postgres";
import type { ProgramContent, ProgramStatus, ProviderStatus } from "../domain/program";

export interface ProgramRow extends ProgramContent {
  id: string;
  providerId: string;
  providerName: string;
  providerStatus: ProviderStatus;
  municipalityId: string;
  /** The region of its municipality (null when the catalogue does not know it): whose officials see it unlisted. */
  regionCode: string | null;
  status: ProgramStatus;
  rating: { average: number | null; count: number };
  publishedAt: string | null;
}

const columns = `p.id, p.provider_id AS "providerId", pr.name AS "providerName", pr.status AS "providerStatus",
  p.municipality_id AS "municipalityId",
  (SELECT m.region_code FROM municipalities m WHERE m.id = p.municipality_id) AS "regionCode", p.status, p.title, p.description, p.direction,
  json_build_object('min', p.age_min, 'max', p.age_max) AS "ageRange",
  p.total_hours AS "totalHours", p.weekly_hours AS "weeklyHours",
  json_build_object('amount', p.price_per_hour, 'currency', p.currency) AS price,
  p.funding_kind AS "fundingKind",
  CASE WHEN p.certification_number IS NULL THEN NULL ELSE json_build_object('number', p.certification_number,
    'date', to_char(p.certification_date, 'YYYY-MM-DD'), 'expiry', to_char(p.certification_expiry, 'YYYY-MM-DD')) END AS certification,
  json_build_object('text', p.address, 'latitude', p.latitude, 'longitude', p.longitude) AS address,
  p.teachers,
  json_build_object('average', CASE WHEN p.rating_count > 0 THEN round(p.rating_sum::numeric / p.rating_count, 2)::float8 END,
    'count', p.rating_count) AS rating,
  to_char(p.published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "publishedAt"`;

export async function findProgram(db: Queryable, id: string, forUpdate = false): Promise<ProgramRow | undefined> {
  const { rows } = await db.query<ProgramRow>(
    `SELECT ${columns} FROM programs p JOIN providers pr ON pr.id = p.provider_id WHERE p.id = $1${forUpdate ? " FOR UPDATE OF p" : ""}`,
    [id],
  );
  return rows[0];
}

/**
 * A provider's programs in every status (or the one asked), oldest first, `limit` after the
 * program `after` (ids are time-ordered uuids, so the id is the cursor).
 */
export async function listProgramsOfProvider(
  db: Queryable,
  providerId: string,
  page: { status?: ProgramStatus | undefined; after?: string | undefined; limit: number },
): Promise<ProgramRow[]> {
  const { rows } = await db.query<ProgramRow>(
    `SELECT ${columns} FROM programs p JOIN providers pr ON pr.id = p.provider_id
      WHERE p.provider_id = $1 AND ($2::text IS NULL OR p.status = $2) AND ($3::uuid IS NULL OR p.id > $3)
      ORDER BY p.id LIMIT $4`,
    [providerId, page.status ?? null, page.after ?? null, page.limit],
  );
  return rows;
}

/**
 * The latitude of the program's `geo` point: its own, plus under 0.2 mm (1-997 nano-degrees)
 * derived from its id, so that distance never ties between programs at one address.
 */
export function geoLatitude(id: string, latitude: number): number {
  const offset = (parseInt(id.replace(/-/g, "").slice(-8), 16) % 997) + 1;
  return latitude + (latitude > 0 ? -offset : offset) * 1e-9;
}

function contentParams(c: ProgramContent): unknown[] {
  return [
    c.title,
    c.description,
    c.direction,
    c.ageRange.min,
    c.ageRange.max,
    c.totalHours,
    c.weeklyHours,
    c.price.amount,
    c.price.currency,
    c.fundingKind,
    c.certification?.number ?? null,
    c.certification?.date ?? null,
    c.certification?.expiry ?? null,
    c.address.text,
    c.address.latitude,
    c.address.longitude,
    JSON.stringify(c.teachers),
  ];
}

export async function insertProgram(
  db: Queryable,
  p: { id: string; providerId: string; municipalityId: string; providerApproved: boolean; content: ProgramContent },
  now: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO programs (title, description, direction, age_min, age_max, total_hours, weekly_hours, price_per_hour, currency,
       funding_kind, certification_number, certification_date, certification_expiry, address, latitude, longitude, geo, teachers,
       id, provider_id, municipality_id, provider_approved, status, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, ll_to_earth($23, $16), $17,
       $18, $19, $20, $21, 'draft', $22, $22)`,
    [...contentParams(p.content), p.id, p.providerId, p.municipalityId, p.providerApproved, now, geoLatitude(p.id, p.content.address.latitude)],
  );
}

export async function updateProgramContent(db: Queryable, id: string, content: ProgramContent, now: Date): Promise<void> {
  await db.query(
    `UPDATE programs SET title = $1, description = $2, direction = $3, age_min = $4, age_max = $5, total_hours = $6,
       weekly_hours = $7, price_per_hour = $8, currency = $9, funding_kind = $10, certification_number = $11,
       certification_date = $12, certification_expiry = $13, address = $14, latitude = $15, longitude = $16,
       geo = ll_to_earth($20, $16), teachers = $17, updated_at = $19
     WHERE id = $18`,
    [...contentParams(content), id, now, geoLatitude(id, content.address.latitude)],
  );
}

export async function setProgramStatus(db: Queryable, id: string, status: ProgramStatus, now: Date): Promise<void> {
  await db.query(
    `UPDATE programs SET status = $2, updated_at = $3, published_at = CASE WHEN $2 = 'published' THEN $3 ELSE published_at END WHERE id = $1`,
    [id, status, now],
  );
}
