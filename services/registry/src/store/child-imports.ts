import type { Queryable } from "@kruzhok/postgres";
import type { ImportCells } from "../domain/child-import";

export interface ChildImportRow {
  id: string;
  municipalityId: string;
  fileName: string;
  contentHash: string;
  actor: Record<string, unknown>;
  total: number;
  createdAt: Date;
  finishedAt: Date | null;
}

const importColumns = `id, municipality_id AS "municipalityId", file_name AS "fileName", content_hash AS "contentHash", actor, total,
  created_at AS "createdAt", finished_at AS "finishedAt"`;

export type RowOutcome = "created" | "present" | "bad";

/** A row as the file gave it: waiting (cells), or refused already when it was read (outcome bad). */
export interface NewImportRow {
  line: number;
  cells: ImportCells | null;
  bad?: { field: string | null; rule: string; message: string };
}

export async function insertImport(db: Queryable, row: Omit<ChildImportRow, "finishedAt">, rows: readonly NewImportRow[]): Promise<void> {
  await db.query(
    `INSERT INTO child_imports (id, municipality_id, file_name, content_hash, actor, total, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [row.id, row.municipalityId, row.fileName, row.contentHash, JSON.stringify(row.actor), row.total, row.createdAt],
  );
  // One statement per thousand rows: 10,000 rows are ten round trips, not ten thousand.
  for (let start = 0; start < rows.length; start += 1_000) {
    const chunk = rows.slice(start, start + 1_000);
    await db.query(
      `INSERT INTO child_import_rows (import_id, line, cells, outcome, field, rule, message)
       SELECT $1, r.line, r.cells, r.outcome, r.field, r.rule, r.message
         FROM jsonb_to_recordset($2::jsonb) AS r(line integer, cells jsonb, outcome text, field text, rule text, message text)`,
      [
        row.id,
        JSON.stringify(
          chunk.map((r) => ({ line: r.line, cells: r.bad ? null : r.cells, outcome: r.bad ? "bad" : null, field: r.bad?.field ?? null, rule: r.bad?.rule ?? null, message: r.bad?.message ?? null })),
        ),
      ],
    );
  }
}

export async function findImport(db: Queryable, id: string): Promise<ChildImportRow | undefined> {
  const { rows } = await db.query<ChildImportRow>(`SELECT ${importColumns} FROM child_imports WHERE id = $1`, [id]);
  return rows[0];
}

/** A municipality's imports, newest first. */
export async function importsOf(db: Queryable, municipalityId: string, limit: number): Promise<ChildImportRow[]> {
  const { rows } = await db.query<ChildImportRow>(`SELECT ${importColumns} FROM child_imports WHERE municipality_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, [
    municipalityId,
    limit,
  ]);
  return rows;
}

export interface ImportCounts {
  waiting: number;
  created: number;
  present: number;
  bad: number;
}

export async function importCounts(db: Queryable, id: string): Promise<ImportCounts> {
  const { rows } = await db.query<{ outcome: RowOutcome | null; n: number }>(
    `SELECT outcome, count(*)::int AS n FROM child_import_rows WHERE import_id = $1 GROUP BY outcome`,
    [id],
  );
  const counts: ImportCounts = { waiting: 0, created: 0, present: 0, bad: 0 };
  for (const { outcome, n } of rows) counts[outcome ?? "waiting"] = n;
  return counts;
}

export interface BadRow {
  line: number;
  field: string | null;
  rule: string;
  message: string;
}

/** The refused rows in file order, from line `after` on. */
export async function badRowsOf(db: Queryable, id: string, limit: number, after = 0): Promise<BadRow[]> {
  const { rows } = await db.query<BadRow>(
    `SELECT line, field, rule, message FROM child_import_rows WHERE import_id = $1 AND outcome = 'bad' AND line > $2 ORDER BY line LIMIT $3`,
    [id, after, limit],
  );
  return rows;
}

export interface WaitingRow {
  importId: string;
  line: number;
  cells: ImportCells;
}

/**
 * Waiting rows, oldest import first and in file order, locked for this transaction: another
 * worker skips them, and a worker that dies leaves them waiting (its transaction rolls back).
 */
export async function claimWaitingRows(db: Queryable, limit: number): Promise<WaitingRow[]> {
  const { rows } = await db.query<WaitingRow>(
    `SELECT import_id AS "importId", line, cells FROM child_import_rows
      WHERE outcome IS NULL ORDER BY import_id, line LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit],
  );
  return rows;
}

/** A row done: its outcome, and no personal cell left. */
export async function finishRow(
  db: Queryable,
  importId: string,
  line: number,
  outcome: RowOutcome,
  detail: { childId?: string | null; field?: string | null; rule?: string; message?: string },
): Promise<void> {
  await db.query(
    `UPDATE child_import_rows SET outcome = $3, cells = NULL, child_id = $4, field = $5, rule = $6, message = $7 WHERE import_id = $1 AND line = $2`,
    [importId, line, outcome, detail.childId ?? null, detail.field ?? null, detail.rule ?? null, detail.message ?? null],
  );
}

/** Stamp the imports among `ids` that have no row waiting any more. */
export async function markFinished(db: Queryable, ids: readonly string[], now: Date): Promise<void> {
  await db.query(
    `UPDATE child_imports i SET finished_at = $2 WHERE i.id = ANY($1::uuid[]) AND i.finished_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM child_import_rows r WHERE r.import_id = i.id AND r.outcome IS NULL)`,
    [ids, now],
  );
}

/** The child registered with this document, if any, and where it lives. */
export async function childByDocumentHash(db: Queryable, hash: string): Promise<{ id: string; municipalityId: string } | undefined> {
  const { rows } = await db.query<{ id: string; municipalityId: string }>(`SELECT id, municipality_id AS "municipalityId" FROM children WHERE document_hash = $1`, [hash]);
  return rows[0];
}

export async function guardianByDocumentHash(db: Queryable, hash: string): Promise<{ id: string; municipalityId: string } | undefined> {
  const { rows } = await db.query<{ id: string; municipalityId: string }>(`SELECT id, municipality_id AS "municipalityId" FROM guardians WHERE document_hash = $1`, [hash]);
  return rows[0];
}
