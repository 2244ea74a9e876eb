import type { Queryable } from "@kruzhok/postgres";

export interface FinancingRequestRow {
  certificateId: string;
  year: number;
  municipalityId: string;
  amount: number;
  categoryRank: number;
  requestedAt: string;
  status: "waiting" | "committed";
  transferId: string | null;
}

const columns = `certificate_id AS "certificateId", year, municipality_id AS "municipalityId", amount, category_rank AS "categoryRank",
  to_char(requested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "requestedAt", status, transfer_id AS "transferId"`;

/** Record a request once per certificate and year; returns false when it was recorded before. */
export async function insertRequest(
  db: Queryable,
  r: { certificateId: string; year: number; municipalityId: string; amount: number; categoryRank: number; requestedAt: Date; causeEventId: string | null },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO financing_requests (certificate_id, year, municipality_id, amount, category_rank, requested_at, status, cause_event_id)
     VALUES ($1, $2, $3, $4, $5, $6, 'waiting', $7) ON CONFLICT DO NOTHING`,
    [r.certificateId, r.year, r.municipalityId, r.amount, r.categoryRank, r.requestedAt, r.causeEventId],
  );
  return rowCount === 1;
}

export async function findRequest(db: Queryable, certificateId: string, year: number): Promise<FinancingRequestRow | undefined> {
  const { rows } = await db.query<FinancingRequestRow>(`SELECT ${columns} FROM financing_requests WHERE certificate_id = $1 AND year = $2`, [certificateId, year]);
  return rows[0];
}

/** The waiting list in its order: category rank, then time of the request, then the certificate id (deterministic). */
export async function waitingList(db: Queryable, municipalityId: string, year: number, limit = 1_000): Promise<FinancingRequestRow[]> {
  const { rows } = await db.query<FinancingRequestRow>(
    `SELECT ${columns} FROM financing_requests WHERE municipality_id = $1 AND year = $2 AND status = 'waiting'
      ORDER BY category_rank, requested_at, certificate_id LIMIT $3`,
    [municipalityId, year, limit],
  );
  return rows;
}

export async function committedCount(db: Queryable, municipalityId: string, year: number): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM financing_requests WHERE municipality_id = $1 AND year = $2 AND status = 'committed'`, [municipalityId, year]);
  return rows[0]!.n;
}

export async function markCommitted(db: Queryable, certificateId: string, year: number, transferId: string, now: Date): Promise<void> {
  await db.query(`UPDATE financing_requests SET status = 'committed', transfer_id = $3, committed_at = $4 WHERE certificate_id = $1 AND year = $2`, [certificateId, year, transferId, now]);
}

export async function committedRequestsOf(db: Queryable, municipalityId: string, year: number): Promise<FinancingRequestRow[]> {
  const { rows } = await db.query<FinancingRequestRow>(`SELECT ${columns} FROM financing_requests WHERE municipality_id = $1 AND year = $2 AND status = 'committed' ORDER BY certificate_id`, [municipalityId, year]);
  return rows;
}

/** Net money moved from one account to another (posted transfers), e.g. what was appropriated to a budget. */
export async function netMoved(db: Queryable, from: string, to: string): Promise<number> {
  const { rows } = await db.query<{ net: number }>(
    `SELECT (coalesce(sum(amount) FILTER (WHERE debit_account_id = $1), 0) - coalesce(sum(amount) FILTER (WHERE debit_account_id = $2), 0))::bigint AS net
       FROM ledger_transfers WHERE kind IN ('single', 'post_pending') AND ((debit_account_id = $1 AND credit_account_id = $2) OR (debit_account_id = $2 AND credit_account_id = $1))`,
    [from, to],
  );
  return rows[0]!.net;
}
