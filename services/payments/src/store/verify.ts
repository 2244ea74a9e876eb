import type { Queryable } from "@kruzhok/postgres";

// The statements `verify` checks the books with. Each returns the offending rows (empty: fine).

export async function negativeBalances(db: Queryable, municipalityId: string, year: number): Promise<{ id: string; kind: string; balance: number }[]> {
  const { rows } = await db.query<{ id: string; kind: string; balance: number }>(
    `SELECT id, kind, CASE WHEN debits_must_not_exceed_credits THEN credits_posted - debits_posted - debits_pending ELSE debits_posted - credits_posted - credits_pending END AS balance
       FROM ledger_accounts WHERE municipality_id = $1 AND year = $2
        AND ((debits_must_not_exceed_credits AND debits_posted + debits_pending > credits_posted)
          OR (credits_must_not_exceed_debits AND credits_posted + credits_pending > debits_posted))
      ORDER BY id LIMIT 10`,
    [municipalityId, year],
  );
  return rows;
}

/** Enrollment-months whose register lines do not add up to what was billed. */
export async function linesDisagreeingWithBilling(db: Queryable, municipalityId: string, year: number): Promise<{ enrollmentId: string; month: string; billed: number; lines: number }[]> {
  const { rows } = await db.query<{ enrollmentId: string; month: string; billed: number; lines: number }>(
    `SELECT b.enrollment_id AS "enrollmentId", b.month, (b.certificate_amount + b.family_amount)::bigint AS billed, coalesce(l.total, 0)::bigint AS lines
       FROM billed_months b
       LEFT JOIN (SELECT l.enrollment_id, r.month, sum(l.certificate_amount + l.family_amount) AS total FROM register_lines l JOIN registers r ON r.id = l.register_id GROUP BY 1, 2) l
         ON l.enrollment_id = b.enrollment_id AND l.month = b.month
      WHERE b.municipality_id = $1 AND b.month LIKE $2 || '-%' AND (b.certificate_amount + b.family_amount) <> coalesce(l.total, 0)
      ORDER BY 1, 2 LIMIT 10`,
    [municipalityId, String(year)],
  );
  return rows;
}

/** Enrollment-months whose billed version is not the latest version seen. */
export async function staleBilledVersions(db: Queryable, municipalityId: string, year: number): Promise<{ enrollmentId: string; month: string; version: number; latest: number }[]> {
  const { rows } = await db.query<{ enrollmentId: string; month: string; version: number; latest: number }>(
    `SELECT b.enrollment_id AS "enrollmentId", b.month, b.version, max(v.version) AS latest
       FROM billed_months b JOIN billed_versions v ON v.enrollment_id = b.enrollment_id AND v.month = b.month
      WHERE b.municipality_id = $1 AND b.month LIKE $2 || '-%'
      GROUP BY 1, 2, 3 HAVING max(v.version) <> b.version LIMIT 10`,
    [municipalityId, String(year)],
  );
  return rows;
}

/** What certificates paid for lessons in the ledger, and what billing says they paid. */
export async function certificateChargesVsBilling(db: Queryable, municipalityId: string, year: number): Promise<{ ledger: number; billed: number }> {
  const { rows } = await db.query<{ ledger: number; billed: number }>(
    `SELECT (SELECT coalesce(sum(CASE WHEN t.code = 'lesson_charge' THEN t.amount ELSE -t.amount END), 0)
               FROM ledger_transfers t JOIN ledger_accounts a ON a.id IN (t.debit_account_id, t.credit_account_id) AND a.kind = 'certificate'
              WHERE a.municipality_id = $1 AND a.year = $2 AND t.code IN ('lesson_charge', 'lesson_charge_correction'))::bigint AS ledger,
            (SELECT coalesce(sum(certificate_amount), 0) FROM billed_months WHERE municipality_id = $1 AND month LIKE $3 || '-%')::bigint AS billed`,
    [municipalityId, year, String(year)],
  );
  return rows[0]!;
}

/** Reservations that disagree with their enrollment or with the ledger's open pending transfer. */
export async function reservationsOutOfStep(db: Queryable, municipalityId: string, year: number): Promise<{ enrollmentId: string; problem: string }[]> {
  const { rows } = await db.query<{ enrollmentId: string; problem: string }>(
    `SELECT r.enrollment_id AS "enrollmentId",
            CASE WHEN e.ended AND NOT r.released THEN 'held for an ended enrollment'
                 WHEN r.pending_id IS NULL AND r.amount > 0 THEN 'an amount without a pending transfer'
                 WHEN r.pending_id IS NOT NULL AND EXISTS (SELECT 1 FROM ledger_pending_resolutions p WHERE p.pending_id = r.pending_id) THEN 'its pending transfer is resolved'
                 ELSE 'its pending transfer holds another amount' END AS problem
       FROM reservations r JOIN enrollments e ON e.id = r.enrollment_id
       LEFT JOIN ledger_transfers t ON t.id = r.pending_id
      WHERE r.municipality_id = $1 AND r.year = $2
        AND ((e.ended AND NOT r.released)
          OR (r.pending_id IS NULL AND r.amount > 0)
          OR (r.pending_id IS NOT NULL AND (t.amount <> r.amount OR EXISTS (SELECT 1 FROM ledger_pending_resolutions p WHERE p.pending_id = r.pending_id))))
      LIMIT 10`,
    [municipalityId, year],
  );
  return rows;
}

/** The budget's commitments: what financing took from it and what the committed requests say. */
export async function budgetCommitments(db: Queryable, municipalityId: string, year: number): Promise<{ committed: number; financed: number; budget: number }> {
  const { rows } = await db.query<{ committed: number; financed: number; budget: number }>(
    `SELECT (SELECT coalesce(sum(amount), 0) FROM financing_requests WHERE municipality_id = $1 AND year = $2 AND status = 'committed')::bigint AS committed,
            (SELECT coalesce(sum(t.amount), 0) FROM ledger_transfers t JOIN ledger_accounts a ON a.id = t.debit_account_id
              WHERE a.kind = 'budget' AND a.municipality_id = $1 AND a.year = $2 AND t.code = 'financing')::bigint AS financed,
            (SELECT coalesce(max(budget), 0) FROM municipality_years WHERE municipality_id = $1 AND year = $2)::bigint AS budget`,
    [municipalityId, year],
  );
  return rows[0]!;
}
