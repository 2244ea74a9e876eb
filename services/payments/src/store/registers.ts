import type { Queryable } from "@kruzhok/postgres";

export interface RegisterRow {
  id: string;
  municipalityId: string;
  providerId: string;
  month: string;
  number: number;
  currency: string;
  status: "formed" | "approved" | "paid";
  formedAt: string;
  approvedAt: string | null;
  paidAt: string | null;
  paymentOrder: string | null;
  advance: number;
  lines: number;
  lessons: number;
  certificateTotal: number;
  familyTotal: number;
}

const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const registerSelect = `SELECT r.id, r.municipality_id AS "municipalityId", r.provider_id AS "providerId", r.month, r.number, r.currency, r.status,
    ${iso("r.formed_at")} AS "formedAt", ${iso("r.approved_at")} AS "approvedAt", ${iso("r.paid_at")} AS "paidAt", r.payment_order AS "paymentOrder", r.advance,
    count(l.enrollment_id)::int AS lines, coalesce(sum(l.lessons), 0)::int AS lessons,
    coalesce(sum(l.certificate_amount), 0)::bigint AS "certificateTotal", coalesce(sum(l.family_amount), 0)::bigint AS "familyTotal"
  FROM registers r LEFT JOIN register_lines l ON l.register_id = r.id`;

/**
 * The register of each provider-month that still takes lines (many at once): the
 * provider-months locked in one order, then a new register (the next number) where the last was
 * approved or there is none. Returns the register ids by `${providerId}:${month}`.
 */
export async function openRegisters(
  db: Queryable,
  wanted: readonly { newId: string; municipalityId: string; providerId: string; month: string; currency: string }[],
  now: Date,
): Promise<Map<string, string>> {
  const keys = wanted.map((r) => `register:${r.providerId}:${r.month}`);
  await db.query(`SELECT count(pg_advisory_xact_lock(h))::int FROM (SELECT hashtext(k) AS h FROM unnest($1::text[]) AS k ORDER BY h) AS ordered`, [keys]);
  const { rows } = await db.query<{ key: string; id: string }>(
    `WITH w AS (SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[]) AS w(new_id, municipality_id, provider_id, month, currency)),
          last AS (SELECT w.*, l.id AS last_id, l.status AS last_status, coalesce(l.number, 0) AS last_number FROM w
                   LEFT JOIN LATERAL (SELECT id, status, number FROM registers r WHERE r.provider_id = w.provider_id AND r.month = w.month ORDER BY number DESC LIMIT 1) AS l ON true),
          made AS (INSERT INTO registers (id, municipality_id, provider_id, month, number, currency, status, formed_at)
                   SELECT new_id, municipality_id, provider_id, month, last_number + 1, currency, 'formed', $6 FROM last WHERE last_status IS DISTINCT FROM 'formed'
                   RETURNING id, provider_id, month)
     SELECT provider_id || ':' || month AS key, last_id AS id FROM last WHERE last_status = 'formed'
     UNION ALL SELECT provider_id || ':' || month, id FROM made`,
    [wanted.map((r) => r.newId), wanted.map((r) => r.municipalityId), wanted.map((r) => r.providerId), wanted.map((r) => r.month), wanted.map((r) => r.currency), now],
  );
  return new Map(rows.map((r) => [r.key, r.id]));
}

/** The provider's register of the month that still takes lines (formed); a new one (next number) when the last was approved (openRegisters for one). */
export async function openRegister(db: Queryable, r: { newId: string; municipalityId: string; providerId: string; month: string; currency: string }, now: Date): Promise<string> {
  return (await openRegisters(db, [r], now)).get(`${r.providerId}:${r.month}`)!;
}

/** Add a month's billing (or its correction's difference) to the enrollment's line. */
export async function addToLine(db: Queryable, line: { registerId: string; enrollmentId: string; certificateId: string | null; lessons: number; certificateAmount: number; familyAmount: number }): Promise<void> {
  await db.query(
    `INSERT INTO register_lines (register_id, enrollment_id, certificate_id, lessons, certificate_amount, family_amount) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (register_id, enrollment_id) DO UPDATE SET lessons = register_lines.lessons + EXCLUDED.lessons,
       certificate_amount = register_lines.certificate_amount + EXCLUDED.certificate_amount, family_amount = register_lines.family_amount + EXCLUDED.family_amount`,
    [line.registerId, line.enrollmentId, line.certificateId, line.lessons, line.certificateAmount, line.familyAmount],
  );
}

export async function findRegister(db: Queryable, id: string, lock = false): Promise<RegisterRow | undefined> {
  if (lock) await db.query(`SELECT id FROM registers WHERE id = $1 FOR UPDATE`, [id]);
  const { rows } = await db.query<RegisterRow>(`${registerSelect} WHERE r.id = $1 GROUP BY r.id`, [id]);
  return rows[0];
}

export async function listRegisters(db: Queryable, filter: { municipalityId: string; providerId?: string; month?: string }): Promise<RegisterRow[]> {
  const { rows } = await db.query<RegisterRow>(
    `${registerSelect} WHERE r.municipality_id = $1 AND ($2::uuid IS NULL OR r.provider_id = $2) AND ($3::text IS NULL OR r.month = $3)
     GROUP BY r.id ORDER BY r.month, r.provider_id, r.number`,
    [filter.municipalityId, filter.providerId ?? null, filter.month ?? null],
  );
  return rows;
}

export interface RegisterLineRow {
  enrollmentId: string;
  certificateId: string | null;
  lessons: number;
  certificateAmount: number;
  familyAmount: number;
}

export async function linesOf(db: Queryable, registerId: string): Promise<RegisterLineRow[]> {
  const { rows } = await db.query<RegisterLineRow>(
    `SELECT enrollment_id AS "enrollmentId", certificate_id AS "certificateId", lessons, certificate_amount AS "certificateAmount", family_amount AS "familyAmount"
       FROM register_lines WHERE register_id = $1 ORDER BY enrollment_id`,
    [registerId],
  );
  return rows;
}

export async function approveRegister(db: Queryable, id: string, by: string, now: Date): Promise<void> {
  await db.query(`UPDATE registers SET status = 'approved', approved_at = $2, approved_by = $3 WHERE id = $1`, [id, now, by]);
}

export async function markPaid(db: Queryable, id: string, paymentOrder: string, now: Date): Promise<void> {
  await db.query(`UPDATE registers SET status = 'paid', paid_at = $2, payment_order = $3 WHERE id = $1`, [id, now, paymentOrder]);
}

/** Note an advance on the provider's first register of the month; false when one was noted before. */
export async function noteAdvance(db: Queryable, registerId: string, amount: number): Promise<boolean> {
  const { rowCount } = await db.query(`UPDATE registers SET advance = $2 WHERE id = $1 AND number = 1 AND advance = 0`, [registerId, amount]);
  return rowCount === 1;
}

/** The provider's first register of the month, if any, with its advance. */
export async function firstRegister(db: Queryable, providerId: string, month: string): Promise<{ id: string; advance: number; status: string } | undefined> {
  const { rows } = await db.query<{ id: string; advance: number; status: string }>(`SELECT id, advance, status FROM registers WHERE provider_id = $1 AND month = $2 AND number = 1`, [providerId, month]);
  return rows[0];
}
