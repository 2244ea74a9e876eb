import type { Queryable } from "@kruzhok/postgres";

/** A municipality's year in money, as the ledger and the financing requests hold it (minor units). */
export interface BudgetFigures {
  budget: number;
  financedCap: number;
  /** What financed certificates hold from the budget now (committed requests whose money was not given back). */
  committed: number;
  financedCertificates: number;
  /** Held on those certificates for enrollments' expected lessons. */
  reserved: number;
  /** Paid from certificates to providers for delivered lessons, corrections netted. */
  spent: number;
}

export async function budgetFigures(db: Queryable, municipalityId: string, year: number): Promise<BudgetFigures> {
  const { rows } = await db.query<BudgetFigures>(
    `SELECT coalesce((SELECT budget FROM municipality_years WHERE municipality_id = $1 AND year = $2), 0)::bigint AS budget,
            coalesce((SELECT financed_cap FROM municipality_years WHERE municipality_id = $1 AND year = $2), 0)::int AS "financedCap",
            (SELECT coalesce(sum(amount), 0) FROM financing_requests WHERE municipality_id = $1 AND year = $2 AND status = 'committed' AND released_at IS NULL)::bigint AS committed,
            (SELECT count(*) FROM financing_requests WHERE municipality_id = $1 AND year = $2 AND status = 'committed' AND released_at IS NULL)::int AS "financedCertificates",
            (SELECT coalesce(sum(debits_pending), 0) FROM ledger_accounts WHERE municipality_id = $1 AND year = $2 AND kind = 'certificate')::bigint AS reserved,
            (SELECT coalesce(sum(CASE WHEN t.code = 'lesson_charge' THEN t.amount ELSE -t.amount END), 0)
               FROM ledger_transfers t JOIN ledger_accounts a ON a.id IN (t.debit_account_id, t.credit_account_id) AND a.kind = 'certificate'
              WHERE a.municipality_id = $1 AND a.year = $2 AND t.code IN ('lesson_charge', 'lesson_charge_correction'))::bigint AS spent`,
    [municipalityId, year],
  );
  return rows[0]!;
}

/** The financing waiting list of the year by the rank of the children's best category (0 first; the list's length: none listed). */
export async function waitingByRank(db: Queryable, municipalityId: string, year: number): Promise<{ rank: number; children: number; amount: number }[]> {
  const { rows } = await db.query<{ rank: number; children: number; amount: number }>(
    `SELECT category_rank AS rank, count(*)::int AS children, sum(amount)::bigint AS amount
       FROM financing_requests WHERE municipality_id = $1 AND year = $2 AND status = 'waiting'
      GROUP BY category_rank ORDER BY category_rank`,
    [municipalityId, year],
  );
  return rows;
}
