import type { Queryable } from "@kruzhok/postgres";
import type { BillingRules } from "../domain/billing";

export async function findRules(db: Queryable, municipalityId: string, year: number): Promise<BillingRules | undefined> {
  const { rows } = await db.query<BillingRules>(
    `SELECT normative_per_hour AS "normativePerHour", co_payment AS "coPayment", unexcused, prorate_nominal AS "prorateNominal", benefits, compensation, exempt_categories AS "exemptCategories" FROM billing_rules WHERE municipality_id = $1 AND year = $2`,
    [municipalityId, year],
  );
  return rows[0];
}

export async function upsertRules(db: Queryable, municipalityId: string, year: number, rules: BillingRules): Promise<void> {
  await db.query(
    `INSERT INTO billing_rules (municipality_id, year, normative_per_hour, co_payment, unexcused, prorate_nominal, benefits, compensation, exempt_categories) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (municipality_id, year) DO UPDATE SET normative_per_hour = EXCLUDED.normative_per_hour, co_payment = EXCLUDED.co_payment, unexcused = EXCLUDED.unexcused,
       prorate_nominal = EXCLUDED.prorate_nominal, benefits = EXCLUDED.benefits, compensation = EXCLUDED.compensation, exempt_categories = EXCLUDED.exempt_categories`,
    [municipalityId, year, rules.normativePerHour, rules.coPayment, rules.unexcused, rules.prorateNominal ?? false, JSON.stringify(rules.benefits ?? []), JSON.stringify(rules.compensation ?? []), rules.exemptCategories ?? []],
  );
}

export interface BilledMonthRow {
  enrollmentId: string;
  month: string;
  version: number;
  lessons: number;
  certificateAmount: number;
  familyAmount: number;
  uncoveredAmount: number;
  benefitAmount: number;
  compensationAmount: number;
}

/** A bill as saved: the month's figures, whose they are, and the event that caused them. */
export type BillRecord = BilledMonthRow & { municipalityId: string; providerId: string; certificateId: string | null; causeEventId: string };

/** The enrollment-month as last billed, locked: two versions of one month are billed one after the other. */
export async function lockBilledMonth(db: Queryable, enrollmentId: string, month: string): Promise<BilledMonthRow | undefined> {
  const { rows } = await db.query<BilledMonthRow>(
    `SELECT enrollment_id AS "enrollmentId", month, version, lessons, certificate_amount AS "certificateAmount", family_amount AS "familyAmount", uncovered_amount AS "uncoveredAmount",
            benefit_amount AS "benefitAmount", compensation_amount AS "compensationAmount"
       FROM billed_months WHERE enrollment_id = $1 AND month = $2 FOR UPDATE`,
    [enrollmentId, month],
  );
  return rows[0];
}

export async function saveBilledMonth(
  db: Queryable,
  row: BillRecord,
  now: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO billed_months (enrollment_id, month, version, municipality_id, provider_id, certificate_id, lessons, certificate_amount, family_amount, uncovered_amount, benefit_amount, compensation_amount, billed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $12, $13, $11)
     ON CONFLICT (enrollment_id, month) DO UPDATE SET version = EXCLUDED.version, lessons = EXCLUDED.lessons, certificate_amount = EXCLUDED.certificate_amount,
       family_amount = EXCLUDED.family_amount, uncovered_amount = EXCLUDED.uncovered_amount, benefit_amount = EXCLUDED.benefit_amount, compensation_amount = EXCLUDED.compensation_amount, billed_at = EXCLUDED.billed_at`,
    [row.enrollmentId, row.month, row.version, row.municipalityId, row.providerId, row.certificateId, row.lessons, row.certificateAmount, row.familyAmount, row.uncoveredAmount, now, row.benefitAmount, row.compensationAmount],
  );
  await db.query(`INSERT INTO billed_versions (enrollment_id, month, version, cause_event_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [row.enrollmentId, row.month, row.version, row.causeEventId]);
}

export async function billedMonthsOf(db: Queryable, municipalityId: string, year: number): Promise<(BilledMonthRow & { certificateId: string | null; providerId: string })[]> {
  const { rows } = await db.query<BilledMonthRow & { certificateId: string | null; providerId: string }>(
    `SELECT enrollment_id AS "enrollmentId", month, version, lessons, certificate_amount AS "certificateAmount", family_amount AS "familyAmount", uncovered_amount AS "uncoveredAmount",
            benefit_amount AS "benefitAmount", compensation_amount AS "compensationAmount", certificate_id AS "certificateId", provider_id AS "providerId"
       FROM billed_months WHERE municipality_id = $1 AND month LIKE $2 || '-%' ORDER BY enrollment_id, month`,
    [municipalityId, String(year)],
  );
  return rows;
}
