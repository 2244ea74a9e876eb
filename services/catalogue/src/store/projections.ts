import type { Currency } from "@kruzhok/contracts";
import type { Queryable } from "@kruzhok/postgres";
import type { ProviderStatus } from "../domain/program";
import { refreshSeats } from "./groups";
import type { SeatFlips } from "./search";

// Projections: local copies of what other services announce (the registry's municipalities and
// their yearly nominal, providers, child-guardian links; enrollment's enrollments). Written only
// by the use cases of usecases/projections.ts, as the consumers hand them the events.

export interface MunicipalityRow {
  id: string;
  code: string;
  name: string;
  /** The region it belongs to; null for one recorded before the catalogue kept regions. */
  regionCode: string | null;
  timeZone: string;
  currency: Currency;
}

export async function upsertMunicipality(db: Queryable, m: MunicipalityRow): Promise<void> {
  await db.query(
    `INSERT INTO municipalities (id, code, name, region_code, time_zone, currency) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code, name = EXCLUDED.name, region_code = EXCLUDED.region_code,
       time_zone = EXCLUDED.time_zone, currency = EXCLUDED.currency`,
    [m.id, m.code, m.name, m.regionCode, m.timeZone, m.currency],
  );
}

export async function findMunicipality(db: Queryable, id: string): Promise<MunicipalityRow | undefined> {
  const { rows } = await db.query<MunicipalityRow>(
    `SELECT id, code, name, region_code AS "regionCode", time_zone AS "timeZone", currency FROM municipalities WHERE id = $1`,
    [id],
  );
  return rows[0];
}

export async function upsertYear(db: Queryable, municipalityId: string, year: number, nominal: number): Promise<void> {
  await db.query(
    `INSERT INTO municipality_years (municipality_id, year, nominal) VALUES ($1, $2, $3)
     ON CONFLICT (municipality_id, year) DO UPDATE SET nominal = EXCLUDED.nominal`,
    [municipalityId, year, nominal],
  );
}

export interface ProviderRow {
  id: string;
  municipalityId: string;
  name: string;
  kind: string;
  status: ProviderStatus;
}

/** Returns the status before the change (undefined for a provider first heard of). */
export async function upsertProvider(db: Queryable, p: ProviderRow, now: Date): Promise<ProviderStatus | undefined> {
  const before = await db.query<{ status: ProviderStatus }>("SELECT status FROM providers WHERE id = $1 FOR UPDATE", [p.id]);
  await db.query(
    `INSERT INTO providers (id, municipality_id, name, kind, status, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO UPDATE SET municipality_id = EXCLUDED.municipality_id, name = EXCLUDED.name, kind = EXCLUDED.kind,
       status = EXCLUDED.status, updated_at = EXCLUDED.updated_at`,
    [p.id, p.municipalityId, p.name, p.kind, p.status, now],
  );
  await db.query("UPDATE programs SET provider_approved = $2 WHERE provider_id = $1 AND provider_approved <> $2", [p.id, p.status === "approved"]);
  return before.rows[0]?.status;
}

export async function findProvider(db: Queryable, id: string): Promise<ProviderRow | undefined> {
  const { rows } = await db.query<ProviderRow>(
    `SELECT id, municipality_id AS "municipalityId", name, kind, status FROM providers WHERE id = $1`,
    [id],
  );
  return rows[0];
}

export async function addChildGuardians(db: Queryable, childId: string, guardianIds: readonly string[]): Promise<void> {
  if (guardianIds.length === 0) return;
  await db.query(
    `INSERT INTO child_guardians (child_id, guardian_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`,
    [childId, guardianIds],
  );
}

export interface EnrollmentRef {
  enrollmentId: string;
  groupId: string;
  programId: string;
  childId: string;
}

/** No seat changed (the event was heard before, or ended an enrollment never started here). */
const NOTHING_FLIPPED: SeatFlips = { program: false, slots: [] };

/** A seat is taken: counted once however often the event arrives. Returns what flipped. */
export async function startEnrollment(db: Queryable, e: EnrollmentRef, now: Date): Promise<SeatFlips> {
  const inserted = await db.query(
    `INSERT INTO enrollments (id, group_id, program_id, child_id, status, updated_at) VALUES ($1, $2, $3, $4, 'active', $5)
     ON CONFLICT (id) DO NOTHING`,
    [e.enrollmentId, e.groupId, e.programId, e.childId, now],
  );
  if (inserted.rowCount !== 1) return NOTHING_FLIPPED;
  await db.query("UPDATE groups SET active_enrollments = active_enrollments + 1 WHERE id = $1", [e.groupId]);
  return refreshSeats(db, e.groupId, e.programId);
}

/** A seat is freed (if it was taken) and a review right is granted. Returns what flipped. */
export async function endEnrollment(db: Queryable, e: EnrollmentRef, reason: string, now: Date): Promise<SeatFlips> {
  const ended = await db.query(
    `UPDATE enrollments SET status = 'ended', end_reason = $2, updated_at = $3 WHERE id = $1 AND status = 'active'`,
    [e.enrollmentId, reason, now],
  );
  if (ended.rowCount === 1) {
    await db.query("UPDATE groups SET active_enrollments = greatest(active_enrollments - 1, 0) WHERE id = $1", [e.groupId]);
    return refreshSeats(db, e.groupId, e.programId);
  }
  // Ended without a start we heard of (e.g. the catalogue's database is newer than the
  // enrollment): record it for review rights, with no seat to free.
  await db.query(
    `INSERT INTO enrollments (id, group_id, program_id, child_id, status, end_reason, updated_at) VALUES ($1, $2, $3, $4, 'ended', $5, $6)
     ON CONFLICT (id) DO NOTHING`,
    [e.enrollmentId, e.groupId, e.programId, e.childId, reason, now],
  );
  return NOTHING_FLIPPED;
}

/** A municipality's nominal for the year `now` falls in, in its own zone; null before it is set. */
export async function currentNominal(db: Queryable, municipalityId: string, now: Date): Promise<number | null> {
  const { rows } = await db.query<{ nominal: number | null }>(
    `SELECT my.nominal FROM municipalities m
       LEFT JOIN municipality_years my ON my.municipality_id = m.id AND my.year = extract(year FROM $2::timestamptz AT TIME ZONE m.time_zone)::int
      WHERE m.id = $1`,
    [municipalityId, now],
  );
  return rows[0]?.nominal ?? null;
}
