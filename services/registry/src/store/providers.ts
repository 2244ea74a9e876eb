import type { Queryable } from "@kruzhok/postgres";
import type { ProviderKind, ProviderState, ProviderStatus } from "../domain/provider";

export interface ProviderRow extends ProviderState {
  id: string;
  municipalityId: string;
  kind: ProviderKind;
  name: string;
  taxId: string;
  licence: { number: string; issuedOn: string };
}

const columns = `id, municipality_id AS "municipalityId", kind, name, tax_id AS "taxId",
  json_build_object('number', licence_number, 'issuedOn', to_char(licence_issued_on, 'YYYY-MM-DD')) AS licence,
  status, checks, rejection_reasons AS "rejectionReasons", suspended_reason AS "suspendedReason"`;

export async function insertProvider(db: Queryable, p: ProviderRow, applicant: string, now: Date): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO providers (id, municipality_id, kind, name, tax_id, licence_number, licence_issued_on, status, checks,
                            applicant_subject, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) ON CONFLICT DO NOTHING`,
    [p.id, p.municipalityId, p.kind, p.name, p.taxId, p.licence.number, p.licence.issuedOn, p.status, JSON.stringify(p.checks), applicant, now],
  );
  return result.rowCount === 1;
}

export async function findProvider(db: Queryable, id: string, forUpdate = false): Promise<ProviderRow | undefined> {
  const { rows } = await db.query<ProviderRow>(`SELECT ${columns} FROM providers WHERE id = $1${forUpdate ? " FOR UPDATE" : ""}`, [id]);
  return rows[0];
}

export async function listProviders(db: Queryable, municipalityId: string, status?: ProviderStatus): Promise<ProviderRow[]> {
  const { rows } = await db.query<ProviderRow>(
    `SELECT ${columns} FROM providers WHERE municipality_id = $1 AND ($2::text IS NULL OR status = $2) ORDER BY name`,
    [municipalityId, status ?? null],
  );
  return rows;
}

export async function updateProvider(db: Queryable, id: string, change: ProviderState, now: Date): Promise<void> {
  await db.query(
    `UPDATE providers SET status = $2, checks = $3, rejection_reasons = $4, suspended_reason = $5, updated_at = $6 WHERE id = $1`,
    [id, change.status, JSON.stringify(change.checks), change.rejectionReasons, change.suspendedReason, now],
  );
}
