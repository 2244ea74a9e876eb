import type { Queryable } from "@kruzhok/postgres";
import type { AdvanceReconciliation } from "../domain/register";

export interface ReconciliationRow extends AdvanceReconciliation {
  registerId: string;
  municipalityId: string;
  providerId: string;
  month: string;
  reconciledBy: string;
  reconciledAt: string;
}

const columns = `register_id AS "registerId", municipality_id AS "municipalityId", provider_id AS "providerId", month, advance, billed, rest, excess,
  reconciled_by AS "reconciledBy", to_char(reconciled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "reconciledAt"`;

export async function findReconciliation(db: Queryable, registerId: string): Promise<ReconciliationRow | undefined> {
  const { rows } = await db.query<ReconciliationRow>(`SELECT ${columns} FROM advance_reconciliations WHERE register_id = $1`, [registerId]);
  return rows[0];
}

export async function insertReconciliation(db: Queryable, r: Omit<ReconciliationRow, "reconciledAt">, now: Date): Promise<ReconciliationRow> {
  const { rows } = await db.query<ReconciliationRow>(
    `INSERT INTO advance_reconciliations (register_id, municipality_id, provider_id, month, advance, billed, rest, excess, reconciled_by, reconciled_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${columns}`,
    [r.registerId, r.municipalityId, r.providerId, r.month, r.advance, r.billed, r.rest, r.excess, r.reconciledBy, now],
  );
  return rows[0]!;
}

/** The municipality's reconciliations, newest month first. */
export async function reconciliationsOf(db: Queryable, municipalityId: string): Promise<ReconciliationRow[]> {
  const { rows } = await db.query<ReconciliationRow>(`SELECT ${columns} FROM advance_reconciliations WHERE municipality_id = $1 ORDER BY month DESC, provider_id`, [municipalityId]);
  return rows;
}
