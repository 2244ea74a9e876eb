import type { Queryable } from "@kruzhok/postgres";

export interface FinancingRequestRow {
  certificateId: string;
  year: number;
  municipalityId: string;
  amount: number;
  categoryRank: number;
  requestedAt: string;
  status: "waiting" | "committed" | "withdrawn";
  transferId: string | null;
  /** When a committed request's money went back to its budget (the certificate moved away or closed). */
  releasedAt: string | null;
  /** Made after the certificate moved in from another municipality this year (see financingTransferId). */
  movedIn: boolean;
}

const columns = `certificate_id AS "certificateId", year, municipality_id AS "municipalityId", amount, category_rank AS "categoryRank",
  to_char(requested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "requestedAt", status, transfer_id AS "transferId",
  to_char(released_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "releasedAt", moved_in AS "movedIn"`;

/**
 * Record a request once per certificate, year and municipality; returns it, or undefined when it
 * was recorded before. A request after another municipality's of the same year is `moved_in`.
 */
export async function insertRequest(
  db: Queryable,
  r: { certificateId: string; year: number; municipalityId: string; amount: number; categoryRank: number; requestedAt: Date; causeEventId: string | null },
): Promise<FinancingRequestRow | undefined> {
  const { rows } = await db.query<FinancingRequestRow>(
    `INSERT INTO financing_requests (certificate_id, year, municipality_id, amount, category_rank, requested_at, status, cause_event_id, moved_in)
     VALUES ($1, $2, $3, $4, $5, $6, 'waiting', $7,
             EXISTS (SELECT 1 FROM financing_requests WHERE certificate_id = $1 AND year = $2 AND municipality_id <> $3))
     ON CONFLICT DO NOTHING RETURNING ${columns}`,
    [r.certificateId, r.year, r.municipalityId, r.amount, r.categoryRank, r.requestedAt, r.causeEventId],
  );
  return rows[0];
}

export async function findRequest(db: Queryable, certificateId: string, year: number, municipalityId: string): Promise<FinancingRequestRow | undefined> {
  const { rows } = await db.query<FinancingRequestRow>(`SELECT ${columns} FROM financing_requests WHERE certificate_id = $1 AND year = $2 AND municipality_id = $3`, [
    certificateId,
    year,
    municipalityId,
  ]);
  return rows[0];
}

/** The request that holds the certificate's money (or its place on a waiting list) in `year` now: at most one is neither withdrawn nor released. */
export async function liveRequest(db: Queryable, certificateId: string, year: number): Promise<FinancingRequestRow | undefined> {
  const { rows } = await db.query<FinancingRequestRow>(
    `SELECT ${columns} FROM financing_requests WHERE certificate_id = $1 AND year = $2 AND status <> 'withdrawn' AND released_at IS NULL ORDER BY requested_at DESC LIMIT 1`,
    [certificateId, year],
  );
  return rows[0];
}

/**
 * The financing that pays for the certificate's lessons in `municipalityId` in `year`: that
 * municipality's own committed request when it financed the certificate (a child who moved keeps
 * attending a group of the municipality it left, on what that one reserved), else the one that
 * funds the certificate now; undefined when no municipality financed it that year.
 */
export async function financingFor(db: Queryable, certificateId: string, year: number, municipalityId: string): Promise<FinancingRequestRow | undefined> {
  const { rows } = await db.query<FinancingRequestRow>(
    `SELECT ${columns} FROM financing_requests WHERE certificate_id = $1 AND year = $2 AND status = 'committed'
      ORDER BY (municipality_id = $3) DESC, (released_at IS NULL) DESC, requested_at DESC LIMIT 1`,
    [certificateId, year, municipalityId],
  );
  return rows[0];
}

/** Every municipality's committed financing of the certificate in `year`, oldest first (more than one only after a move). */
export async function committedFinancingsOf(db: Queryable, certificateId: string, year: number): Promise<FinancingRequestRow[]> {
  const { rows } = await db.query<FinancingRequestRow>(
    `SELECT ${columns} FROM financing_requests WHERE certificate_id = $1 AND year = $2 AND status = 'committed' ORDER BY requested_at, municipality_id`,
    [certificateId, year],
  );
  return rows;
}

/** A waiting request whose certificate moved away or closed leaves the waiting list. */
export async function markWithdrawn(db: Queryable, r: Pick<FinancingRequestRow, "certificateId" | "year" | "municipalityId">): Promise<void> {
  await db.query(`UPDATE financing_requests SET status = 'withdrawn' WHERE certificate_id = $1 AND year = $2 AND municipality_id = $3 AND status = 'waiting'`, [
    r.certificateId,
    r.year,
    r.municipalityId,
  ]);
}

/** A committed request's money went back to its budget. */
export async function markReleased(db: Queryable, r: Pick<FinancingRequestRow, "certificateId" | "year" | "municipalityId">, now: Date): Promise<void> {
  await db.query(`UPDATE financing_requests SET released_at = $4 WHERE certificate_id = $1 AND year = $2 AND municipality_id = $3`, [r.certificateId, r.year, r.municipalityId, now]);
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

/** Certificates the municipality finances in the year now (the cap counts these): committed, their money not given back. */
export async function committedCount(db: Queryable, municipalityId: string, year: number): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM financing_requests WHERE municipality_id = $1 AND year = $2 AND status = 'committed' AND released_at IS NULL`,
    [municipalityId, year],
  );
  return rows[0]!.n;
}

export async function markCommitted(db: Queryable, r: Pick<FinancingRequestRow, "certificateId" | "year" | "municipalityId">, transferId: string, now: Date): Promise<void> {
  await db.query(`UPDATE financing_requests SET status = 'committed', transfer_id = $4, committed_at = $5 WHERE certificate_id = $1 AND year = $2 AND municipality_id = $3`, [
    r.certificateId,
    r.year,
    r.municipalityId,
    transferId,
    now,
  ]);
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
