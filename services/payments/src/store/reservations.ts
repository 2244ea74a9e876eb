import type { Queryable } from "@kruzhok/postgres";

export interface ReservationRow {
  enrollmentId: string;
  municipalityId: string;
  certificateId: string;
  year: number;
  pendingId: string | null;
  amount: number;
  missing: number;
  seq: number;
  released: boolean;
}

export const reservationColumns = `enrollment_id AS "enrollmentId", municipality_id AS "municipalityId", certificate_id AS "certificateId", year, pending_id AS "pendingId",
  amount, missing, seq, released`;

/** The enrollment's reservation of `year`, locked. */
export async function lockReservation(db: Queryable, enrollmentId: string, year: number): Promise<ReservationRow | undefined> {
  const { rows } = await db.query<ReservationRow>(`SELECT ${reservationColumns} FROM reservations WHERE enrollment_id = $1 AND year = $2 FOR UPDATE`, [enrollmentId, year]);
  return rows[0];
}

/** Every reservation of the enrollment not released yet (one per year), locked, oldest year first. */
export async function lockOpenReservations(db: Queryable, enrollmentId: string): Promise<ReservationRow[]> {
  const { rows } = await db.query<ReservationRow>(`SELECT ${reservationColumns} FROM reservations WHERE enrollment_id = $1 AND NOT released ORDER BY year FOR UPDATE`, [enrollmentId]);
  return rows;
}

export async function saveReservation(db: Queryable, r: ReservationRow): Promise<void> {
  await db.query(
    `INSERT INTO reservations (enrollment_id, municipality_id, certificate_id, year, pending_id, amount, missing, seq, released) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (enrollment_id, year) DO UPDATE SET certificate_id = EXCLUDED.certificate_id, pending_id = EXCLUDED.pending_id, amount = EXCLUDED.amount,
       missing = EXCLUDED.missing, seq = EXCLUDED.seq, released = EXCLUDED.released`,
    [r.enrollmentId, r.municipalityId, r.certificateId, r.year, r.pendingId, r.amount, r.missing, r.seq, r.released],
  );
}

export async function reservationsOfCertificate(db: Queryable, certificateId: string): Promise<ReservationRow[]> {
  const { rows } = await db.query<ReservationRow>(`SELECT ${reservationColumns} FROM reservations WHERE certificate_id = $1 AND NOT released ORDER BY enrollment_id, year`, [certificateId]);
  return rows;
}

export async function reservationsOf(db: Queryable, municipalityId: string, year: number): Promise<ReservationRow[]> {
  const { rows } = await db.query<ReservationRow>(`SELECT ${reservationColumns} FROM reservations WHERE municipality_id = $1 AND year = $2 ORDER BY enrollment_id`, [municipalityId, year]);
  return rows;
}
