import type { Queryable } from "@kruzhok/postgres";
import type { BillingRulesVersion } from "../domain/billing-rules";

/** One kept version of a year's billing rules, with who set it and when (null: set before versions were kept, migration 0008). */
export interface BillingRulesVersionRow extends BillingRulesVersion {
  year: number;
  setAt: Date | null;
  setBy: string;
}

const versionColumns = `year, to_char(effective_from, 'YYYY-MM-DD') AS "effectiveFrom", set_at AS "setAt", set_by AS "setBy",
  json_build_object('normativePerHour', normative_per_hour, 'coPayment', co_payment, 'unexcused', unexcused, 'prorateNominal', prorate_nominal,
                    'benefits', benefits, 'compensation', compensation, 'exemptCategories', exempt_categories) AS rules`;

/** Every version the municipality set for the year, in the order they were set (domain/billing-rules.ts says which is in force on a date). */
export async function billingRulesVersions(db: Queryable, municipalityId: string, year: number): Promise<BillingRulesVersionRow[]> {
  return (await billingRulesVersionsOf(db, [{ municipalityId, year }])).get(`${municipalityId}:${year}`) ?? [];
}

/** The versions of many municipality-years (a batch's), by `${municipalityId}:${year}`, each in the order they were set. */
export async function billingRulesVersionsOf(db: Queryable, keys: readonly { municipalityId: string; year: number }[]): Promise<Map<string, BillingRulesVersionRow[]>> {
  const unique = [...new Map(keys.map((k) => [`${k.municipalityId}:${k.year}`, k])).values()];
  const { rows } = await db.query<BillingRulesVersionRow & { municipalityId: string }>(
    `SELECT r.municipality_id AS "municipalityId", ${versionColumns}
       FROM unnest($1::uuid[], $2::int[]) AS k(m, y) JOIN billing_rules r ON r.municipality_id = k.m AND r.year = k.y ORDER BY r.seq`,
    [unique.map((k) => k.municipalityId), unique.map((k) => k.year)],
  );
  const byKey = new Map<string, BillingRulesVersionRow[]>();
  for (const { municipalityId, ...row } of rows) {
    const key = `${municipalityId}:${row.year}`;
    byKey.set(key, [...(byKey.get(key) ?? []), row]);
  }
  return byKey;
}

/** A new version: earlier ones stay as they were. */
export async function addBillingRulesVersion(db: Queryable, municipalityId: string, year: number, version: BillingRulesVersion, setBy: string, now: Date): Promise<BillingRulesVersionRow> {
  const { rules } = version;
  await db.query(
    `INSERT INTO billing_rules (municipality_id, year, effective_from, normative_per_hour, co_payment, unexcused, prorate_nominal, benefits, compensation, exempt_categories, set_at, set_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [
      municipalityId,
      year,
      version.effectiveFrom,
      rules.normativePerHour,
      rules.coPayment,
      rules.unexcused,
      rules.prorateNominal ?? false,
      JSON.stringify(rules.benefits ?? []),
      JSON.stringify(rules.compensation ?? []),
      rules.exemptCategories ?? [],
      now,
      setBy,
    ],
  );
  return { ...version, year, setAt: now, setBy };
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
